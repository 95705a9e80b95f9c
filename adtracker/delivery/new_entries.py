"""The entries of new events, made and stored after the request has left.

The click path sends first (``Sender._send_new``); the entry (its id, its lease, "may
have reached the server") is made and written after the click's task, by the scheduler,
which ``pagehide`` runs too. No other tab can know of the event meanwhile, so none can
send it as well; an answer that comes before the scheduler stores the entry first, so a
retry finds it.
"""

from __future__ import annotations

from collections.abc import Callable

from adtracker.base.ports import Scheduler
from adtracker.delivery.outbox import NewEvent, Outbox, OutboxEntry


class SentEvent:
    """A new event in flight; ``entry`` is None until it is made."""

    __slots__ = ("entry", "event", "lease_until")

    def __init__(self, event: NewEvent, lease_until: float) -> None:
        self.event = event
        self.lease_until = lease_until
        self.entry: OutboxEntry | None = None


class NewEntries:
    def __init__(
        self,
        outbox: Outbox,
        scheduler: Scheduler,
        new_id: Callable[[], str],
        granted: Callable[[], bool],
    ) -> None:
        self._outbox = outbox
        self._scheduler = scheduler
        self._new_id = new_id
        self._granted = granted
        self._unstored: list[SentEvent] = []

    def entry(self, event: NewEvent) -> OutboxEntry:
        """A new entry for ``event``, with a fresh id."""
        return OutboxEntry(
            id=self._new_id(), type=event.type, url=event.url, body=event.body,
            created=event.created,
        )  # fmt: skip

    def sent(self, event: NewEvent, lease_until: float) -> SentEvent:
        """``event``'s request has left: its entry is stored soon."""
        if not self._unstored:
            self._scheduler.soon(self._store_all)
        sent = SentEvent(event, lease_until)
        self._unstored.append(sent)
        return sent

    def stored(self, sent: SentEvent) -> OutboxEntry:
        """The entry of ``sent`` (leased, possibly reaching the server), made and stored
        once; not stored if consent was withdrawn meanwhile."""
        if sent.entry is None:
            sent.entry = self.entry(sent.event).leased(sent.lease_until)
            if self._granted():
                self._outbox.put(sent.entry)
        return sent.entry

    def _store_all(self) -> None:
        unstored, self._unstored = self._unstored, []
        for sent in unstored:
            self.stored(sent)
