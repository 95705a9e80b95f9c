"""The tracker facade: track_click(url) → check → dedup → send → read the answer.

Pure: every platform piece is injected (see ``tracker.ports``). The click path does
the minimum synchronously — check the URL, one dedup read and write, dispatch the
request — and defers logging, observers and housekeeping to the scheduler.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import ValidationError

from tracker import dedup, identity, keys
from tracker.config import TrackerConfig
from tracker.decisions import Decision, Outcome
from tracker.models import DedupEntry, EventBody, IdentityRecord, PrebootClick
from tracker.ports import Clock, IdSource, Log, Scheduler, SendResult, Storage, Transport
from tracker.responses import classify
from tracker.store import Store
from tracker.urls import check_beacon_url

# A click the loader queued before Python started is still sent by a later page load
# within this age; older ones are dropped (with a debug message).
PREBOOT_MAX_AGE_SECONDS = 24 * 3600.0
# Housekeeping (pruning expired dedup entries) runs after this many dedup writes.
PRUNE_EVERY = 50

Observer = Callable[[Decision], None]


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
    ) -> None:
        self.config = config
        self._clock = clock
        self._transport = transport
        self._ids = ids
        self._scheduler = scheduler
        self._log = log
        self._observer = observer
        self._store = Store(storage, log)
        self._origins = frozenset(config.beacon_origins)
        self._writes_since_prune = 0
        self._record: IdentityRecord | None = None
        self._identity: identity.Identity | None = None
        self._body = ""

    # --- identity -------------------------------------------------------------------------

    @property
    def identity(self) -> identity.Identity:
        if self._identity is None:
            self._resolve_identity(self._clock.now())
        assert self._identity is not None
        return self._identity

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
        if self._record is not None:
            self._store.write(keys.IDS, self._record)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Resolve ids, send clicks queued before boot, schedule housekeeping."""
        self._resolve_identity(self._clock.now())
        self.take_over_preboot()
        self._scheduler.soon(self.prune)

    def take_over_preboot(self) -> int:
        """Send the clicks the JS loader recorded before Python ran. Returns how many were sent."""
        raw = self._store.raw_get(keys.PREBOOT)
        if raw is None:
            return 0
        self._store.remove(keys.PREBOOT)
        try:
            items = json.loads(raw)
        except ValueError:
            self._debug(f"discarded the pre-boot click queue: not JSON ({len(raw)} characters)")
            return 0
        if not isinstance(items, list):
            self._debug("discarded the pre-boot click queue: not a list")
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
                self._debug(
                    f"discarded a pre-boot click: {exc.errors(include_url=False)[0]['msg']}"
                )
                continue
            at = min(click.t / 1000.0, now)
            if now - at > PREBOOT_MAX_AGE_SECONDS:
                self._debug(f"dropped a pre-boot click older than 24 h: {click.u[:200]}")
                continue
            if self.track_click(click.u, at=at) == "sent":
                sent += 1
        return sent

    def prune(self) -> None:
        """Delete expired dedup entries and cap their number (off the click path)."""
        self._writes_since_prune = 0
        now = self._clock.now()
        entries: dict[str, float] = {}
        for key in self._store.keys(keys.DEDUP_PREFIX):
            entry = self._store.read(key, DedupEntry)
            if entry is not None:
                entries[key] = entry.e
        for key in dedup.to_prune(entries, now):
            self._store.remove(key)

    # --- events ---------------------------------------------------------------------------

    def track_click(self, url: object, *, at: float | None = None) -> Outcome:
        """Report a click on the ad whose click URL is ``url`` (sent verbatim). Never raises."""
        try:
            return self._track("click", url, at)
        except Exception as exc:  # the host page must never see our errors
            self._log.error(f"internal error while tracking a click: {type(exc).__name__}: {exc}")
            return "refused"

    def _track(self, event_type: str, url: object, at: float | None) -> Outcome:
        verdict = check_beacon_url(url, self._origins)
        if not verdict.ok:
            shown = url if isinstance(url, str) else repr(url)
            self._decide(Decision(event_type, shown, "refused", verdict.reason))
            return "refused"
        assert isinstance(url, str)
        now = self._clock.now()
        when = now if at is None else at
        ids = self._identity_for(now)
        key = dedup.dedup_key(event_type, ids.user_id, ids.session_id, url)
        entry = self._store.read(key, DedupEntry)
        if dedup.is_duplicate(entry.e if entry else None, when):
            self._decide(Decision(event_type, url, "deduplicated", "already sent in its window"))
            return "deduplicated"
        self._store.write(key, DedupEntry(e=dedup.expiry_for(event_type, when)))
        self._transport.send(
            url, self._body, lambda result: self._on_result(event_type, url, key, result)
        )
        self._writes_since_prune += 1
        if self._writes_since_prune >= PRUNE_EVERY:
            self._scheduler.soon(self.prune)
        self._decide(Decision(event_type, url, "sent"))
        return "sent"

    def _on_result(self, event_type: str, url: str, key: str, result: SendResult) -> None:
        try:
            c = classify(result)
            if c.verdict == "rejected" and result.status == 422:
                # Once, loudly: a 422 means the integration is wrong and retrying cannot help.
                self._log.error(f"VTEX Ads rejected a {event_type} ({c.reason}): {url[:200]}")
            if c.transient:
                # Not delivered: forget the dedup mark so the shopper's next click counts.
                self._store.remove(key)
            self._decide(Decision(event_type, url, c.verdict, c.reason))
        except Exception as exc:
            self._log.error(f"internal error while reading a response: {type(exc).__name__}: {exc}")

    # --- reporting ------------------------------------------------------------------------

    def _debug(self, message: str) -> None:
        self._log.debug(message)

    def _decide(self, decision: Decision) -> None:
        if self.config.debug:
            self._scheduler.soon(lambda: self._log.debug(decision.message()))
        if self._observer is not None:
            observer = self._observer
            self._scheduler.soon(lambda: observer(decision))
