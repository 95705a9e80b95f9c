"""A record of each decision the tracker takes, for debug logs and the host's observers."""

from __future__ import annotations

from dataclasses import dataclass

from adtracker.base.vocabulary import EventType, Outcome


@dataclass(frozen=True, slots=True)
class Decision:
    type: EventType
    url: str
    outcome: Outcome
    reason: str = ""

    def message(self) -> str:
        shown = self.url if len(self.url) <= 200 else self.url[:200] + "…"
        tail = f" ({self.reason})" if self.reason else ""
        return f"{self.type} {self.outcome}: {shown}{tail}"
