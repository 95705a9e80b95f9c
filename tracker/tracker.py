"""The tracker facade: track_click(url) → check → dedup → outbox → send → read the answer.

Pure: every platform piece is injected (see ``tracker.ports``). The click path does
the minimum synchronously — check the URL, read and write one dedup mark, store
the event in the outbox, dispatch the request — and defers logging, observers and
housekeeping to the scheduler. Retries, flushes and the pre-boot takeover run under
a cross-tab lock.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from tracker import conversion, dedup, identity, keys, retry
from tracker.config import HostId, TrackerConfig
from tracker.decisions import Decision, Outcome
from tracker.models import DedupEntry, EventBody, IdentityRecord, PrebootClick
from tracker.outbox import Outbox, OutboxEntry, over_bounds
from tracker.ports import Clock, IdSource, Locks, Log, Scheduler, SendResult, Storage, Transport
from tracker.responses import classify
from tracker.store import Store
from tracker.urls import check_beacon_url

Consent = Literal["granted", "pending", "denied"]

# A click the loader queued before Python started is still sent by a later page load
# within this age; older ones are dropped (with a debug message).
PREBOOT_MAX_AGE_SECONDS = 24 * 3600.0
# Housekeeping (pruning expired dedup entries) runs after this many dedup writes.
PRUNE_EVERY = 50
# An in-flight entry is leased to its tab for the request's timeout plus this margin.
LEASE_MARGIN_SECONDS = 5.0
# A conversion body larger than this is refused (it must fit the outbox).
MAX_BODY_CHARS = 32 * 1024
# Events waiting for consent, in memory only.
MAX_WAITING = 100

Observer = Callable[[Decision], None]
_HOST_ID: TypeAdapter[str] = TypeAdapter(HostId)


class _DebugGate:
    """The log the tracker uses: debug and warn lines only while debug is on."""

    def __init__(self, log: Log, tracker: Tracker) -> None:
        self._log = log
        self._tracker = tracker

    def debug(self, message: str) -> None:
        if self._tracker.debug:
            self._log.debug(message)

    def warn(self, message: str) -> None:
        if self._tracker.debug:
            self._log.warn(message)

    def error(self, message: str) -> None:
        self._log.error(message)


class _NoLocks:
    def run(self, name: str, fn: Callable[[], None]) -> None:
        fn()


class Tracker:
    def __init__(
        self,
        config: TrackerConfig,
        *,
        clock: Clock,
        storage: Storage,
        transport: Transport,
        ids: IdSource,
        scheduler: Scheduler,
        log: Log,
        observer: Observer | None = None,
        locks: Locks | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self._clock = clock
        self._transport = transport
        self._ids = ids
        self._scheduler = scheduler
        self.debug = config.debug
        self._log: Log = _DebugGate(log, self)
        self._observer = observer
        self._locks: Locks = locks or _NoLocks()
        self._rand = rand
        self._store = Store(storage, self._log)
        self._store.make_room = self._make_room
        self._outbox = Outbox(self._store)
        self._origins = frozenset(config.beacon_origins)
        self._writes_since_prune = 0
        # Dedup marks this page wrote or read: the hot path skips storage on a hit, and
        # the marks survive even if someone clobbers localStorage under us.
        self._marks: dict[str, float] = {}
        self._record: IdentityRecord | None = None
        self._identity: identity.Identity | None = None
        self._body = ""
        self._consent: Consent = config.consent
        # (type, url, when, payload) waiting for consent, in memory only
        self._waiting: list[tuple[str, str, float, dict[str, Any] | None]] = []
        self._viewed: set[str] = set()  # view URLs sent in this page view
        self._timer_at: float | None = None
        self._bounds_pending = False
        self._started = False

    # --- identity -------------------------------------------------------------------------

    @property
    def identity(self) -> identity.Identity | None:
        """The ids sent with events; None while consent is not granted."""
        if self._consent != "granted":
            return None
        if self._identity is None:
            self._resolve_identity(self._clock.now())
        return self._identity

    @property
    def consent_state(self) -> Consent:
        """``"granted"``, ``"pending"`` or ``"denied"``."""
        return self._consent

    def _resolve_identity(self, now: float) -> None:
        stored = self._store.read(keys.IDS, IdentityRecord)
        self._identity, self._record = identity.resolve(stored, self.config, now, self._ids.new_id)
        self._body = EventBody(
            user_id=self._identity.user_id, session_id=self._identity.session_id
        ).model_dump_json()
        self._store.write(keys.IDS, self._record)

    def _identity_for(self, now: float) -> identity.Identity:
        record = self._record
        if record is None or identity.session_expired(record, now, self.config.session_ttl_seconds):
            self._resolve_identity(now)
        elif identity.needs_touch(record, now):
            self._record = record.model_copy(update={"session_seen": now})
            self._scheduler.soon(self._write_record)
        assert self._identity is not None
        return self._identity

    def _write_record(self) -> None:
        if self._record is not None and self._consent == "granted":
            self._store.write(keys.IDS, self._record)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Resolve ids, then (under the lock) take over pre-boot clicks and flush the outbox."""
        self._started = True
        if self._consent == "denied":
            self._clear_everything()
            return
        if self._consent == "pending":
            self._log.debug("consent pending: nothing is stored or sent until it is granted")
            return
        self._resolve_identity(self._clock.now())
        self._locks.run(keys.FLUSH_LOCK, self._start_locked)
        self._scheduler.soon(self.prune)

    def _start_locked(self) -> None:
        self.take_over_preboot()
        self._flush_locked()

    def consent(self, value: object) -> bool:
        """ "granted" sends what waited; "denied" clears every adtracker: key and stops."""
        if value not in ("granted", "pending", "denied"):
            self._log.error(f'consent must be "granted", "pending" or "denied", not {value!r}')
            return False
        previous, self._consent = self._consent, value  # type: ignore[assignment]
        if value == "denied":
            self._clear_everything()
            self._log.debug("consent denied: cleared every adtracker: key; the tracker is stopped")
        elif value == "granted" and previous != "granted" and self._started:
            self._log.debug(f"consent granted: sending {len(self._waiting)} waiting event(s)")
            waiting, self._waiting = self._waiting, []
            self.start()
            for event_type, url, when, payload in waiting:
                self._safely(event_type, url, when, payload)
        return True

    def _clear_everything(self) -> None:
        self._waiting.clear()
        self._marks.clear()
        self._identity = None
        self._record = None
        for key in self._store.keys(keys.PREFIX):
            self._store.remove(key)

    def take_over_preboot(self) -> int:
        """Send the clicks the JS loader recorded before Python ran. Returns how many were sent."""
        raw = self._store.raw_get(keys.PREBOOT)
        if raw is None:
            return 0
        self._store.remove(keys.PREBOOT)
        try:
            items = json.loads(raw)
        except ValueError:
            self._log.debug(f"discarded the pre-boot click queue: not JSON ({len(raw)} characters)")
            return 0
        if not isinstance(items, list):
            self._log.debug("discarded the pre-boot click queue: not a list")
            return 0
        return self.take_over_clicks(items)

    def take_over_clicks(self, items: list[object]) -> int:
        """Send pre-boot clicks (``{"u": url, "t": epoch ms}``) under the usual rules."""
        now = self._clock.now()
        sent = 0
        for item in items:
            try:
                click = PrebootClick.model_validate(item)
            except ValidationError as exc:
                self._log.debug(
                    f"discarded a pre-boot click: {exc.errors(include_url=False)[0]['msg']}"
                )
                continue
            at = min(click.t / 1000.0, now)
            if now - at > PREBOOT_MAX_AGE_SECONDS:
                self._log.debug(f"dropped a pre-boot click older than 24 h: {click.u[:200]}")
                continue
            if self.track_click(click.u, at=at) == "sent":
                sent += 1
        return sent

    def prune(self, max_entries: int = dedup.MAX_ENTRIES) -> None:
        """Delete expired dedup entries and cap their number (off the click path)."""
        self._writes_since_prune = 0
        if self._consent != "granted":
            return
        now = self._clock.now()
        entries: dict[str, float] = {}
        for key in self._store.keys(keys.DEDUP_PREFIX):
            entry = self._store.read(key, DedupEntry)
            if entry is not None:
                entries[key] = entry.e
        for key in dedup.to_prune(entries, now, max_entries):
            self._store.remove(key)

    # --- events ---------------------------------------------------------------------------

    def track_click(self, url: object, *, at: float | None = None) -> Outcome:
        """Report a click on the ad whose click URL is ``url`` (sent verbatim). Never raises."""
        return self._safely("click", url, at)

    def track_impression(self, url: object, *, at: float | None = None) -> Outcome:
        """Report that the ad with this impression URL was painted in the viewport."""
        return self._safely("impression", url, at)

    def track_view(self, url: object, *, at: float | None = None) -> Outcome:
        """Report a viewable view (≥ 50 % of the ad for 1 s): once per page view per ad."""
        return self._safely("view", url, at)

    def track_conversion(self, order: object, *, at: float | None = None) -> Outcome:
        """Report an order (VTEX's conversion schema). Personal data is hashed here; an
        invalid order gives a console error naming the field and sends nothing."""
        try:
            if not isinstance(order, dict):
                raise ValueError(f"an order is an object, not {type(order).__name__}")
            hashed = conversion.hash_personal_data(order)
        except ValueError as exc:
            self._log.error(f"conversion not sent: {exc}")
            return self._refuse("conversion", self.config.conversion_url, str(exc))
        return self._safely("conversion", self.config.conversion_url, at, hashed)

    def identify(self, user_id: object) -> bool:
        """Use the store's customer id from now on (after login)."""
        try:
            valid = _HOST_ID.validate_python(user_id)
        except ValidationError as exc:
            self._log.error(f"identify: {exc.errors(include_url=False)[0]['msg']}")
            return False
        self.config = self.config.model_copy(update={"user_id": valid})
        if self._consent == "granted":
            self._resolve_identity(self._clock.now())
        return True

    def new_page_view(self) -> None:
        """A route change (pushState, popstate) starts a new page view for the view rule."""
        self._viewed.clear()

    def _safely(
        self,
        event_type: str,
        url: object,
        at: float | None,
        payload: dict[str, Any] | None = None,
    ) -> Outcome:
        try:
            return self._track(event_type, url, at, payload)
        except Exception as exc:  # the host page must never see our errors
            self._log.error(f"internal error while tracking a {event_type}: {exc!r}")
            return "refused"

    def _track(
        self, event_type: str, url: object, at: float | None, payload: dict[str, Any] | None
    ) -> Outcome:
        if self._consent == "denied":
            return self._refuse(event_type, url, "consent denied")
        verdict = check_beacon_url(url, self._origins)
        if not verdict.ok:
            return self._refuse(event_type, url, verdict.reason)
        assert isinstance(url, str)
        now = self._clock.now()
        when = now if at is None else at
        if self._consent == "pending":
            if len(self._waiting) >= MAX_WAITING:
                return self._refuse(event_type, url, f"{MAX_WAITING} events already wait")
            self._waiting.append((event_type, url, when, payload))
            self._decide(Decision(event_type, url, "queued", "waiting for consent"))
            return "queued"
        ids = self._identity_for(now)
        if event_type == "conversion":
            order = conversion.build_conversion(
                payload,
                user_id=ids.user_id,
                session_id=ids.session_id,
                now=when,
                publisher_id=self.config.publisher_id,
                channel=self.config.channel,
            )
            if isinstance(order, str):
                self._log.error(f"conversion not sent: {order}")
                return self._refuse(event_type, url, order)
            # VTEX deduplicates conversions by order_id (30 days): so do we.
            key = dedup.dedup_key(event_type, "", "", order.order_id)
            body = order.model_dump_json(exclude_none=True)
            if len(body) > MAX_BODY_CHARS:
                why = f"the order is {len(body)} characters of JSON (limit {MAX_BODY_CHARS})"
                self._log.error(f"conversion not sent: {why}")
                return self._refuse(event_type, url, why)
        else:
            if event_type == "view" and url in self._viewed:
                self._decide(Decision(event_type, url, "deduplicated", "viewed in this page view"))
                return "deduplicated"
            key = dedup.dedup_key(event_type, ids.user_id, ids.session_id, url)
            body = self._body
        if not dedup.is_duplicate(self._marks.get(key), when):
            mark = self._store.read(key, DedupEntry)  # another tab may have sent it
            if mark is not None:
                self._remember(key, mark.e)
        if dedup.is_duplicate(self._marks.get(key), when):
            self._decide(Decision(event_type, url, "deduplicated", "already sent in its window"))
            return "deduplicated"
        expiry = dedup.expiry_for(event_type, when)
        self._remember(key, expiry)
        # The mark reaches storage off the hot path (the browser's scheduler also runs it on
        # pagehide); until then this page's in-memory mark answers.
        self._scheduler.soon(lambda: self._write_mark(key, expiry))
        if event_type == "view":
            self._viewed.add(url)
        entry = OutboxEntry(
            id=self._ids.new_id(), type=event_type, url=url, body=body, created=when
        )
        if self._transport.online():
            self._dispatch(entry, now)
            outcome: Outcome = "sent"
        else:
            self._outbox.put(entry)  # flushed by the browser's "online" event
            outcome = "queued"
        self._writes_since_prune += 1
        if self._writes_since_prune >= PRUNE_EVERY:
            self._scheduler.soon(self.prune)
        if not self._bounds_pending:  # once per burst of events
            self._bounds_pending = True
            self._scheduler.soon(self._enforce_bounds)
        self._decide(
            Decision(event_type, url, outcome, "" if outcome == "sent" else "offline: queued")
        )
        return outcome

    def _write_mark(self, key: str, expiry: float) -> None:
        if self._consent == "granted":
            self._store.write(key, DedupEntry(e=int(expiry)))

    def _remember(self, key: str, expiry: float) -> None:
        if len(self._marks) >= dedup.MAX_ENTRIES:
            for old in dedup.to_prune(self._marks, self._clock.now(), dedup.MAX_ENTRIES - 1):
                del self._marks[old]
        self._marks[key] = max(expiry, self._marks.get(key, 0.0))

    def _refuse(self, event_type: str, url: object, reason: str) -> Outcome:
        shown = url if isinstance(url, str) else repr(url)
        self._decide(Decision(event_type, shown, "refused", reason))
        return "refused"

    # --- delivery ---------------------------------------------------------------------------

    def _dispatch(self, entry: OutboxEntry, now: float) -> None:
        """Store the attempt (leased, possibly reaching the server), then send it."""
        reached_before = entry.maybe_reached
        leased = entry.model_copy(
            update={
                "attempts": entry.attempts + 1,
                "lease_until": now + self.config.request_timeout + LEASE_MARGIN_SECONDS,
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
        c = classify(result)
        if c.verdict == "rejected" and result.status == 422:
            # Once, loudly: a 422 means the integration is wrong and retrying cannot help.
            self._log.error(f"VTEX Ads rejected a {entry.type} ({c.reason}): {entry.url[:200]}")
        if not c.transient or self._consent == "denied":
            self._outbox.remove(entry.id)
            self._decide(Decision(entry.type, entry.url, c.verdict, c.reason))
            return
        now = self._clock.now()
        reached = reached_before or retry.may_have_reached(result)
        ok, why = retry.resend_allowed(entry.type, entry.created, reached, now)
        if not ok:
            self._outbox.remove(entry.id)
            self._decide(Decision(entry.type, entry.url, "dropped", f"{c.reason}; {why}"))
            return
        delay = retry.next_delay(result, entry.attempts, self._rand(), now)
        self._outbox.put(
            entry.model_copy(
                update={"next_at": now + delay, "lease_until": 0.0, "maybe_reached": reached}
            )
        )
        reason = f"{c.reason}; retry {entry.attempts} in {delay:.1f} s"
        self._decide(Decision(entry.type, entry.url, "failed", reason))
        self._arm_timer(now + delay, now)

    def flush(self) -> None:
        """Send every due event in the outbox (page load, ``online``, retry timers)."""
        if self._consent == "granted":
            self._locks.run(keys.FLUSH_LOCK, self._flush_locked)

    def _flush_locked(self) -> None:
        try:
            self._flush_due()
        except Exception as exc:
            self._log.error(f"internal error while flushing: {exc!r}")

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
                    self._dispatch(fresh, now)
        if wake is not None:
            self._arm_timer(wake, now)

    def _drop(self, entry: OutboxEntry, why: str) -> None:
        self._outbox.remove(entry.id)
        self._decide(Decision(entry.type, entry.url, "dropped", why))

    def _make_room(self) -> None:
        """Storage is full: drop expired marks, then the soonest-expiring half."""
        self.prune(max_entries=len(self._store.keys(keys.DEDUP_PREFIX)) // 2)

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

    # --- reporting ------------------------------------------------------------------------

    def set_debug(self, on: bool) -> None:
        """Turn decision logging on or off at run time (``["debug", true]``)."""
        self.debug = bool(on)

    def _decide(self, decision: Decision) -> None:
        if self.debug:
            self._scheduler.soon(lambda: self._log.debug(decision.message()))
        if self._observer is not None:
            observer = self._observer
            self._scheduler.soon(lambda: observer(decision))
