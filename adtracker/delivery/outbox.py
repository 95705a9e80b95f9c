"""The durable outbox: every accepted event is stored before it is dispatched and
removed on a 2xx or a final 4xx, so a crash, an unload or a network fault cannot
lose it. Sending, retries and results are ``adtracker.delivery.sender``'s.

Each event is its own key (``adtracker:o:<event id>``): adding one is a single
write, so two tabs never overwrite each other's events. A *lease* marks an entry
as in flight in some tab; flushes skip leased entries, and only the lease holder
updates an entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from adtracker.base.keys import OUTBOX_PREFIX
from adtracker.base.limits import (
    MAX_BODY_CHARS,
    MAX_OUTBOX_CHARS,
    MAX_OUTBOX_ENTRIES,
    MAX_URL_CHARS,
)
from adtracker.base.store import Store
from adtracker.base.vocabulary import EventType


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event the rules accepted, before it has an entry (``Sender.submit``)."""

    type: EventType
    url: str
    body: str
    created: float


class OutboxEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)
    type: EventType
    url: str = Field(min_length=1, max_length=MAX_URL_CHARS)
    body: str = Field(max_length=MAX_BODY_CHARS)
    created: float = Field(ge=0)
    attempts: int = Field(default=0, ge=0)
    next_at: float = Field(default=0.0, ge=0)
    lease_until: float = Field(default=0.0, ge=0)
    maybe_reached: bool = False
    # Not sent before this (the server's Retry-After), even when the server is back.
    not_before: float = Field(default=0.0, ge=0)

    @property
    def key(self) -> str:
        return OUTBOX_PREFIX + self.id

    def leased(self, until: float) -> OutboxEntry:
        """This entry for one more attempt, leased to its tab ``until`` then; if the page
        dies in flight, the attempt's fate is unknown (``maybe_reached``)."""
        update = {"attempts": self.attempts + 1, "lease_until": until, "maybe_reached": True}
        return self.model_copy(update=update)


def over_bounds(
    entries: list[OutboxEntry],
    now: float,
    max_entries: int = MAX_OUTBOX_ENTRIES,
    max_chars: int = MAX_OUTBOX_CHARS,
) -> list[OutboxEntry]:
    """The waiting entries to drop, oldest first, so that the waiting ones fit both bounds.

    Entries in flight (leased) are neither counted nor dropped: dropping one would free
    no request, and would lose the event if its attempt then failed."""
    waiting = [e for e in entries if e.lease_until <= now]
    by_age = sorted(waiting, key=lambda e: (e.created, e.id))
    sizes = [len(e.model_dump_json()) for e in by_age]
    total = sum(sizes)
    drop: list[OutboxEntry] = []
    for entry, size in zip(by_age, sizes, strict=True):
        if len(by_age) - len(drop) <= max_entries and total <= max_chars:
            break
        drop.append(entry)
        total -= size
    return drop


class Outbox:
    def __init__(self, store: Store) -> None:
        self._store = store

    def put(self, entry: OutboxEntry) -> None:
        self._store.write(entry.key, entry)

    def get(self, event_id: str) -> OutboxEntry | None:
        return self._store.read(OUTBOX_PREFIX + event_id, OutboxEntry)

    def remove(self, event_id: str) -> None:
        self._store.remove(OUTBOX_PREFIX + event_id)

    def size(self) -> int:
        """How many entries the outbox holds (waiting or in flight), without reading them."""
        return len(self._store.keys(OUTBOX_PREFIX))

    def all(self) -> list[OutboxEntry]:
        """Every valid entry (corrupt ones are discarded by the store), oldest first."""
        out = []
        for key in self._store.keys(OUTBOX_PREFIX):
            entry = self._store.read(key, OutboxEntry)
            if entry is not None and entry.key == key:
                out.append(entry)
            elif entry is not None:
                self._store.remove(key)  # a value copied under the wrong key
        return sorted(out, key=lambda e: (e.created, e.id))
