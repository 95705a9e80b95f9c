"""A record of each decision the tracker takes, for debug logs and the host's observers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from adtracker.base.vocabulary import EventType, Outcome


@dataclass(frozen=True, slots=True)
class Decision:
    type: EventType
    url: str
    outcome: Outcome
    reason: str = ""
    #: A deduplicated event: until when (epoch seconds) it counts as a duplicate.
    until: float | None = None

    def message(self) -> str:
        shown = self.url if len(self.url) <= 200 else self.url[:200] + "…"
        reason = self.reason
        if self.until is not None:
            stamp = datetime.fromtimestamp(self.until, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            reason = f"{reason}, until {stamp}" if reason else f"until {stamp}"
        tail = f" ({reason})" if reason else ""
        return f"{self.type} {self.outcome}: {shown}{tail}"
