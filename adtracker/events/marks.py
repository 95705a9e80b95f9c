"""The dedup marks this tracker keeps: one storage key per sent event, and this page's
in-memory copy of the marks it wrote or read (the hot path skips storage on a hit, and
the marks survive even if someone clobbers localStorage under us).

The rules (keys, windows, what to prune) are pure functions in ``adtracker.events.dedup``.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from adtracker.base.keys import DEDUP_PREFIX
from adtracker.base.limits import MAX_MARKS
from adtracker.base.ports import Clock, Scheduler
from adtracker.base.store import Store
from adtracker.events import dedup


class DedupMark(BaseModel):
    """``adtracker:d:<key>``: until when (epoch seconds) an event with that key is a duplicate."""

    model_config = ConfigDict(extra="ignore")

    e: int = Field(ge=0, description="expiry, epoch seconds")


# Housekeeping (pruning expired marks) runs after this many marks were written.
PRUNE_EVERY = 50


def prune_stored(store: Store, now: float, max_marks: int = MAX_MARKS) -> None:
    """Delete expired marks from storage and keep at most ``max_marks``."""
    stored: dict[str, float] = {}
    for key in store.keys(DEDUP_PREFIX):
        mark = store.read(key, DedupMark)
        if mark is not None:
            stored[key] = mark.e
    for key in dedup.to_prune(stored, now, max_marks):
        store.remove(key)


def make_room(store: Store, now: float) -> None:
    """Storage is full: drop expired marks, then the soonest-expiring half."""
    prune_stored(store, now, max_marks=len(store.keys(DEDUP_PREFIX)) // 2)


class Marks:
    def __init__(
        self, store: Store, clock: Clock, scheduler: Scheduler, granted: Callable[[], bool]
    ) -> None:
        self._store = store
        self._clock = clock
        self._scheduler = scheduler
        self._granted = granted
        self._memory: dict[str, float] = {}
        self._written_since_prune = 0

    def seen(self, key: str, when: float) -> bool:
        """Was an event with this key already sent in its window (by this page or another)?"""
        if not dedup.is_duplicate(self._memory.get(key), when):
            mark = self._store.read(key, DedupMark)  # another tab may have sent it
            if mark is not None:
                self._remember(key, mark.e)
        return dedup.is_duplicate(self._memory.get(key), when)

    def until(self, key: str) -> float | None:
        """Until when (epoch seconds) an event with this key is a duplicate, as last seen."""
        return self._memory.get(key)

    def add(self, key: str, expiry: float) -> None:
        """Mark an event as sent. The mark reaches storage off the hot path (the browser's
        scheduler also runs it on pagehide); until then this page's memory answers."""
        self._remember(key, expiry)
        self._scheduler.soon(lambda: self._write(key, expiry))
        self._written_since_prune += 1
        if self._written_since_prune >= PRUNE_EVERY:
            self._scheduler.soon(self.prune)

    def prune(self, max_marks: int = MAX_MARKS) -> None:
        """Delete expired stored marks and cap their number (off the click path)."""
        self._written_since_prune = 0
        if self._granted():
            prune_stored(self._store, self._clock.now(), max_marks)

    def forget(self) -> None:
        """Drop this page's copy (the stored marks are the caller's to clear)."""
        self._memory.clear()

    def _write(self, key: str, expiry: float) -> None:
        if self._granted():
            self._store.write(key, DedupMark(e=int(expiry)))

    def _remember(self, key: str, expiry: float) -> None:
        if len(self._memory) >= MAX_MARKS:
            for old in dedup.to_prune(self._memory, self._clock.now(), MAX_MARKS - 1):
                del self._memory[old]
        self._memory[key] = max(expiry, self._memory.get(key, 0.0))
