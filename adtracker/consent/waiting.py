"""Events that wait for consent (``pending``): in memory only, bounded, never stored."""

from __future__ import annotations

from typing import Any

from adtracker.base.limits import MAX_WAITING
from adtracker.base.vocabulary import EventType

# (type, url, when, payload) of one event
Waiting = tuple[EventType, str, float, dict[str, Any] | None]
FULL = f"{MAX_WAITING} events already wait for consent"


class WaitingEvents:
    def __init__(self) -> None:
        self._items: list[Waiting] = []

    def __len__(self) -> int:
        return len(self._items)

    def hold(self, event: Waiting) -> bool:
        """Keep ``event`` until consent is known; False when ``MAX_WAITING`` already wait."""
        if len(self._items) >= MAX_WAITING:
            return False
        self._items.append(event)
        return True

    def take(self) -> list[Waiting]:
        """Every waiting event, oldest first; none waits afterwards."""
        items, self._items = self._items, []
        return items

    def clear(self) -> None:
        self._items.clear()
