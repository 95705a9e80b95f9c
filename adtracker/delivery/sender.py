"""The sender: the outbox and everything that moves events out of it (DOM-free, like
Snowplow's tracker-core emitter: store, request and retry in one place).

Every accepted event is stored in the outbox: a new one just after its request left
(``delivery.new_entries``). An attempt *leases* its entry to this tab (flushes elsewhere
skip it) and marks it as possibly reaching the server; the answer removes it (delivered,
rejected), schedules a retry (failed) or drops it when a resend is no longer safe.
Flushes run under a cross-tab lock; a timer wakes the next one. When an origin answers
after an outage, or the browser comes back online, the waiting events are brought
forward (``delivery.recovery``). Each attempt's timeout counts the requests ahead of it
(``delivery.in_flight``). The outbox's bounds are enforced off the hot path.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from adtracker.base import keys
from adtracker.base.decisions import Decision
from adtracker.base.limits import LEASE_MARGIN_SECONDS, MAX_IN_FLIGHT
from adtracker.base.ports import Clock, Locks, Log, Scheduler, SendResult, Transport
from adtracker.base.store import Store
from adtracker.base.vocabulary import Consent, Outcome
from adtracker.delivery import recovery, retry
from adtracker.delivery.in_flight import InFlight, attempt_timeout
from adtracker.delivery.new_entries import NewEntries
from adtracker.delivery.outbox import NewEvent, Outbox, OutboxEntry, over_bounds
from adtracker.delivery.recovery import HEALTHY, OriginHealth
from adtracker.delivery.responses import status_behavior
from adtracker.events.urls import origin_of

#: Said when a new event waits for a request to end (``MAX_IN_FLIGHT`` in flight).
BUSY = f"{MAX_IN_FLIGHT} requests in flight: sent when one ends"


def _lease_until(now: float, timeout: float) -> float:
    return now + timeout + LEASE_MARGIN_SECONDS


class NoLocks:
    """Where no cross-tab lock exists: run now (the leases keep that safe)."""

    def run(self, name: str, fn: Callable[[], None]) -> None:
        fn()


class Sender:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        transport: Transport,
        scheduler: Scheduler,
        locks: Locks,
        log: Log,
        decide: Callable[[Decision], None],
        consent: Callable[[], Consent],
        request_timeout: float,
        new_id: Callable[[], str],
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._outbox = Outbox(store)
        self._clock = clock
        self._transport = transport
        self._scheduler = scheduler
        self._locks = locks
        self._log = log
        self._decide = decide
        self._consent = consent
        self._request_timeout = request_timeout
        self._rand = rand
        self._in_flight = InFlight()
        self._new = NewEntries(self._outbox, scheduler, new_id, lambda: consent() == "granted")
        self._timer_at: float | None = None
        self._bounds_pending = False
        self._backlog = False  # events wait for a request to end (MAX_IN_FLIGHT)
        self._said_retry_after = False  # RETRY_AFTER_UNREADABLE, once per page

    def submit(self, event: NewEvent) -> tuple[Outcome, str]:
        """Send a new event now, or keep it in the outbox (offline, or too many requests in
        flight). Returns the outcome and why it was not sent."""
        if not self._transport.online():
            self._outbox.put(self._new.entry(event))  # flushed by the browser's "online" event
            outcome: tuple[Outcome, str] = ("queued", "offline: queued")
        elif self._in_flight.full:
            self._outbox.put(self._new.entry(event))
            self._backlog = True
            outcome = ("queued", BUSY)
        else:
            self._send_new(event, self._clock.now())
            outcome = ("sent", "")
        self._bounds_soon()
        return outcome

    def flush(self) -> None:
        """Send every due event in the outbox (page load, retry timers)."""
        if self._consent() == "granted":
            self._locks.run(keys.FLUSH_LOCK, self.flush_locked)

    def flush_locked(self) -> None:
        """The flush itself, for a caller that already holds the lock."""
        self._guarded("flushing", self._flush_due)

    def back_online(self) -> None:
        """The browser is online again: bring every waiting event forward, then flush."""
        if self._consent() == "granted":
            self._locks.run(keys.FLUSH_LOCK, lambda: self._recover_locked(None))

    def _guarded(self, doing: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:
            self._log.error(f"internal error while {doing}: {exc!r}")

    # --- sending ----------------------------------------------------------------------------

    def _send_new(self, event: NewEvent, now: float) -> None:
        """Send a new event; its entry is made and stored after this task."""
        origin = origin_of(event.url)
        timeout = attempt_timeout(self._request_timeout, self._in_flight.ahead(origin))
        self._in_flight.start(origin)
        attempt = self._new.sent(event, _lease_until(now, timeout))

        def answered(result: SendResult) -> None:
            self._answered_attempt(self._new.stored(attempt), origin, now, False, result)

        self._transport.send(event.url, event.body, answered, timeout)

    def _send(self, entry: OutboxEntry, now: float) -> None:
        """Store the attempt (leased, possibly reaching the server), then send it."""
        reached_before = entry.maybe_reached
        origin = origin_of(entry.url)
        timeout = attempt_timeout(self._request_timeout, self._in_flight.ahead(origin))
        leased = entry.leased(_lease_until(now, timeout))
        self._outbox.put(leased)
        self._in_flight.start(origin)

        def answered(result: SendResult) -> None:
            self._answered_attempt(leased, origin, now, reached_before, result)

        self._transport.send(leased.url, leased.body, answered, timeout)

    def _answered_attempt(
        self, entry: OutboxEntry, origin: str, sent_at: float, reached: bool, result: SendResult
    ) -> None:
        self._in_flight.end(origin)
        self._guarded(
            "reading a response",
            lambda: self._handle_result(entry, origin, sent_at, reached, result),
        )
        if self._backlog and not self._in_flight.full:
            self._backlog = False
            self.flush()

    def _handle_result(
        self,
        entry: OutboxEntry,
        origin: str,
        sent_at: float,
        reached_before: bool,
        result: SendResult,
    ) -> None:
        status = status_behavior(result)
        if status.verdict == "rejected" and result.status == 422:
            # Once, loudly: a 422 means the integration is wrong and retrying cannot help.
            self._log.error(
                f"VTEX Ads rejected a {entry.type} ({status.reason}): {entry.url[:200]}"
            )
        if not status.retry or self._consent() == "denied":
            self._outbox.remove(entry.id)
            self._decide(Decision(entry.type, entry.url, status.verdict, status.reason))
            if self._consent() == "granted":
                self._answered(origin)
            return
        now = self._clock.now()
        health = self._health(origin)
        late = recovery.late(health, sent_at)
        self._set_health(origin, health, recovery.after_failure(health, sent_at))
        reached = reached_before or status.may_have_reached
        ok, why = retry.resend_allowed(entry.type, entry.created, reached, now)
        if not ok:
            self._drop(entry, f"{status.reason}; {why}")
            return
        if self._outbox.get(entry.id) is None:
            # Dropped meanwhile (a corrupt value the store discarded, consent cleared it):
            # putting it back would undo that.
            return
        if not self._said_retry_after and retry.retry_after_unreadable(result, now):
            self._said_retry_after = True
            self._log.debug(retry.RETRY_AFTER_UNREADABLE.format(status=result.status))
        server_wait = retry.server_delay(result, now)
        delay = retry.backoff_delay(entry.attempts, self._rand())
        if server_wait is not None:
            delay = server_wait
        elif late:  # sent before the origin came back: the outage's, not this event's
            delay = min(delay, recovery.late_delay(self._rand()))
        not_before = now + server_wait if server_wait is not None else entry.not_before
        update = {"next_at": now + delay, "lease_until": 0.0, "maybe_reached": reached}
        self._outbox.put(entry.model_copy(update={**update, "not_before": not_before}))
        self._bounds_soon()  # one more event waits
        reason = f"{status.reason}; retry {entry.attempts} in {delay:.1f} s"
        self._decide(Decision(entry.type, entry.url, "failed", reason))
        self._arm_timer(now + delay, now)

    # --- the origin's health and recovery ------------------------------------------------------

    def _health(self, origin: str) -> OriginHealth:
        return self._store.read(keys.HEALTH_PREFIX + origin, OriginHealth) or HEALTHY

    def _set_health(self, origin: str, old: OriginHealth, new: OriginHealth) -> None:
        if new != old:
            self._store.write(keys.HEALTH_PREFIX + origin, new)

    def _answered(self, origin: str) -> None:
        """The origin answered: after an outage, its waiting events are brought forward."""
        old = self._health(origin)
        health, recovered = recovery.after_answer(old, self._clock.now())
        self._set_health(origin, old, health)
        if recovered:
            self._locks.run(keys.FLUSH_LOCK, lambda: self._recover_locked(origin))

    def _recover_locked(self, origin: str | None) -> None:
        """Bring the waiting events of ``origin`` (None: every origin) forward, then flush."""

        def recover() -> None:
            now = self._clock.now()
            entries = [
                e for e in self._outbox.all() if origin is None or origin_of(e.url) == origin
            ]
            moved = recovery.bring_forward(entries, now, self._rand)
            for item in moved:
                self._outbox.put(item.entry.model_copy(update={"next_at": item.next_at}))
            if moved:
                where = origin or "the network"
                self._log.debug(f"{where} is back: {len(moved)} waiting event(s) brought forward")
            self._flush_due()

        self._guarded("recovering", recover)

    # --- flushing, bounds and the timer -----------------------------------------------------

    def _flush_due(self) -> None:
        now = self._clock.now()
        online = self._transport.online()
        wake: float | None = None
        entries = self._outbox.all()
        dropped_ids = self._drop_over_bounds(entries, now)
        for entry in (e for e in entries if e.id not in dropped_ids):
            if entry.lease_until > now:  # in flight in some tab
                wake = min(wake or entry.lease_until, entry.lease_until)
                continue
            ok, why = retry.resend_allowed(entry.type, entry.created, entry.maybe_reached, now)
            if not ok:
                self._drop(entry, why)
            elif entry.next_at > now:
                wake = min(wake or entry.next_at, entry.next_at)
            elif online and self._in_flight.full:
                self._backlog = True  # sent when a request ends
            elif online:
                fresh = self._outbox.get(entry.id)  # another tab may have taken it meanwhile
                if fresh is not None and fresh.lease_until <= now:
                    self._send(fresh, now)
        if wake is not None:
            self._arm_timer(wake, now)

    def _drop(self, entry: OutboxEntry, why: str) -> None:
        self._outbox.remove(entry.id)
        self._decide(Decision(entry.type, entry.url, "dropped", why))

    def _bounds_soon(self) -> None:
        if not self._bounds_pending:  # once per burst of events
            self._bounds_pending = True
            self._scheduler.soon(self._enforce_bounds)

    def _enforce_bounds(self) -> None:
        self._bounds_pending = False
        self._drop_over_bounds(self._outbox.all(), self._clock.now())

    def _drop_over_bounds(self, entries: list[OutboxEntry], now: float) -> set[str]:
        """Drop the oldest waiting entries beyond the outbox's bounds; return their ids."""
        doomed = over_bounds(entries, now)
        for entry in doomed:
            self._drop(entry, "the outbox is full; dropped its oldest event")
        return {e.id for e in doomed}

    def _arm_timer(self, at: float, now: float) -> None:
        if self._timer_at is not None and self._timer_at <= at:
            return  # an earlier flush is already armed; it re-arms for the rest
        self._timer_at = at
        self._scheduler.later(max(at - now, 0.0), self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer_at = None
        self.flush()
