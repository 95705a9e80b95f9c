"""The sender: the outbox and everything that moves events out of it (DOM-free, like
Snowplow's tracker-core emitter: store, request and retry in one place).

Every accepted event is stored in the outbox before its request leaves. An attempt
*leases* its entry to this tab (flushes elsewhere skip it) and marks it as possibly
reaching the server; the answer removes it (delivered, rejected), schedules a retry
(failed) or drops it when a resend is no longer safe. Flushes run under a cross-tab
lock; a timer wakes the next one. The outbox's bounds are enforced off the hot path.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from adtracker.base import keys
from adtracker.base.decisions import Decision
from adtracker.base.ports import Clock, Locks, Log, Scheduler, SendResult, Transport
from adtracker.base.store import Store
from adtracker.base.vocabulary import Consent, Outcome
from adtracker.delivery import retry
from adtracker.delivery.outbox import Outbox, OutboxEntry, over_bounds
from adtracker.delivery.responses import status_behavior

# An in-flight entry is leased to its tab for the request's timeout plus this margin.
LEASE_MARGIN_SECONDS = 5.0


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
        rand: Callable[[], float] = random.random,
    ) -> None:
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
        self._timer_at: float | None = None
        self._bounds_pending = False
        self._said_retry_after = False  # RETRY_AFTER_UNREADABLE, once per page

    def submit(self, entry: OutboxEntry) -> Outcome:
        """Send a new event now, or keep it in the outbox while the browser is offline."""
        if self._transport.online():
            self._send(entry, self._clock.now())
            outcome: Outcome = "sent"
        else:
            self._outbox.put(entry)  # flushed by the browser's "online" event
            outcome = "queued"
        if not self._bounds_pending:  # once per burst of events
            self._bounds_pending = True
            self._scheduler.soon(self._enforce_bounds)
        return outcome

    def flush(self) -> None:
        """Send every due event in the outbox (page load, ``online``, retry timers)."""
        if self._consent() == "granted":
            self._locks.run(keys.FLUSH_LOCK, self.flush_locked)

    def flush_locked(self) -> None:
        """The flush itself, for a caller that already holds the lock."""
        try:
            self._flush_due()
        except Exception as exc:
            self._log.error(f"internal error while flushing: {exc!r}")

    # --- sending ----------------------------------------------------------------------------

    def _send(self, entry: OutboxEntry, now: float) -> None:
        """Store the attempt (leased, possibly reaching the server), then send it."""
        reached_before = entry.maybe_reached
        leased = entry.model_copy(
            update={
                "attempts": entry.attempts + 1,
                "lease_until": now + self._request_timeout + LEASE_MARGIN_SECONDS,
                "maybe_reached": True,  # if this page dies in flight, its fate is unknown
            }
        )
        self._outbox.put(leased)
        self._transport.send(
            leased.url,
            leased.body,
            lambda result: self._on_result(leased, reached_before, result),
        )

    def _on_result(self, entry: OutboxEntry, reached_before: bool, result: SendResult) -> None:
        try:
            self._handle_result(entry, reached_before, result)
        except Exception as exc:
            self._log.error(f"internal error while reading a response: {exc!r}")

    def _handle_result(self, entry: OutboxEntry, reached_before: bool, result: SendResult) -> None:
        status = status_behavior(result)
        if status.verdict == "rejected" and result.status == 422:
            # Once, loudly: a 422 means the integration is wrong and retrying cannot help.
            self._log.error(
                f"VTEX Ads rejected a {entry.type} ({status.reason}): {entry.url[:200]}"
            )
        if not status.retry or self._consent() == "denied":
            self._outbox.remove(entry.id)
            self._decide(Decision(entry.type, entry.url, status.verdict, status.reason))
            return
        now = self._clock.now()
        reached = reached_before or status.may_have_reached
        ok, why = retry.resend_allowed(entry.type, entry.created, reached, now)
        if not ok:
            self._drop(entry, f"{status.reason}; {why}")
            return
        if self._outbox.get(entry.id) is None:
            # Dropped meanwhile (over the bounds, or a corrupt value the store discarded):
            # putting it back would take the outbox past its bounds again.
            return
        if not self._said_retry_after and retry.retry_after_unreadable(result, now):
            self._said_retry_after = True
            self._log.debug(retry.RETRY_AFTER_UNREADABLE.format(status=result.status))
        delay = retry.next_delay(result, entry.attempts, self._rand(), now)
        self._outbox.put(
            entry.model_copy(
                update={"next_at": now + delay, "lease_until": 0.0, "maybe_reached": reached}
            )
        )
        reason = f"{status.reason}; retry {entry.attempts} in {delay:.1f} s"
        self._decide(Decision(entry.type, entry.url, "failed", reason))
        self._arm_timer(now + delay, now)

    # --- flushing, bounds and the timer -----------------------------------------------------

    def _flush_due(self) -> None:
        now = self._clock.now()
        online = self._transport.online()
        wake: float | None = None
        entries = self._outbox.all()
        dropped_ids = self._drop_over_bounds(entries)
        for entry in (e for e in entries if e.id not in dropped_ids):
            if entry.lease_until > now:  # in flight in some tab
                wake = min(wake or entry.lease_until, entry.lease_until)
                continue
            ok, why = retry.resend_allowed(entry.type, entry.created, entry.maybe_reached, now)
            if not ok:
                self._drop(entry, why)
            elif entry.next_at > now:
                wake = min(wake or entry.next_at, entry.next_at)
            elif online:
                fresh = self._outbox.get(entry.id)  # another tab may have taken it meanwhile
                if fresh is not None and fresh.lease_until <= now:
                    self._send(fresh, now)
        if wake is not None:
            self._arm_timer(wake, now)

    def _drop(self, entry: OutboxEntry, why: str) -> None:
        self._outbox.remove(entry.id)
        self._decide(Decision(entry.type, entry.url, "dropped", why))

    def _enforce_bounds(self) -> None:
        self._bounds_pending = False
        self._drop_over_bounds(self._outbox.all())

    def _drop_over_bounds(self, entries: list[OutboxEntry]) -> set[str]:
        """Drop the oldest entries beyond the outbox's bounds; return their ids."""
        doomed = over_bounds(entries)
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
