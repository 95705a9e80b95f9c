"""A record of each decision the tracker takes, for debug logs and the host's observers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal[
    "sent",
    "queued",
    "delivered",
    "rejected",
    "failed",
    "dropped",
    "deduplicated",
    "refused",
    "identified",  # a platform event (vtex:userData) set the user id
    "ignored",  # a platform event that changes nothing (or came from another window)
]


@dataclass(frozen=True, slots=True)
class Decision:
    type: str
    url: str
    outcome: Outcome
    reason: str = ""

    def message(self) -> str:
        shown = self.url if len(self.url) <= 200 else self.url[:200] + "…"
        tail = f" ({self.reason})" if self.reason else ""
        return f"{self.type} {self.outcome}: {shown}{tail}"
