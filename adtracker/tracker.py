"""The tracker facade: track_click(url) → check → dedup → send → outbox → read the answer.

A thin composition of the core's parts; every platform piece is injected (see
``adtracker.base.ports``). The click path does the minimum synchronously (check the URL,
read one dedup mark, send the request) and defers the rest to the scheduler. Retries,
flushes and the pre-boot takeover run under a cross-tab lock. Parts: ids
(``identity.IdentityKeeper``), dedup marks (``marks.Marks``), conversions, the outbox and
its sending (``delivery.sender.Sender``), what the loader saw before Python (``preboot``),
logs and observers (``reporting.Reporter``). Consent is the facade's own: it gates all.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from adtracker.base import keys
from adtracker.base.limits import MAX_MARKS
from adtracker.base.ports import (
    Clock,
    IdSource,
    Locks,
    Log,
    PlaceReader,
    Scheduler,
    Storage,
    Transport,
)
from adtracker.base.reporting import Observer, Reporter, ReportingSurface
from adtracker.base.store import Store
from adtracker.base.vocabulary import CONSENTS, Consent, EventType, Outcome, UrlEventType
from adtracker.config import TrackerConfig
from adtracker.consent.waiting import FULL, WaitingEvents
from adtracker.delivery.outbox import NewEvent, Outbox
from adtracker.delivery.sender import NoLocks, Sender
from adtracker.events import conversion, dedup, marks, preboot
from adtracker.events.urls import check_beacon_url
from adtracker.ids.host_id import HOST_ID
from adtracker.ids.identity import Identity, IdentityKeeper
from adtracker.ids.places import PlacedIds

_CONSENT_WORDS = ", ".join(f'"{c}"' for c in CONSENTS[:-1]) + f' or "{CONSENTS[-1]}"'


class Tracker(ReportingSurface):
    """Reports one page's ad events (clicks, impressions, views, conversions) to VTEX Ads.

    In the browser, ``adtracker.browser.start`` builds it on the browser's ports and
    returns it; the unit tests build it on fakes. The ``track_*`` methods return the
    outcome (``"sent"``, ``"deduplicated"``, ``"refused"``, …) and never raise.
    """

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
        places: PlaceReader | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.config = config
        self._clock = clock
        self._ids = ids
        self._scheduler = scheduler
        self._reporter = Reporter(log, scheduler, debug=config.debug, observer=observer)
        self._log: Log = self._reporter
        self._locks: Locks = locks or NoLocks()
        self._store = Store(
            storage, self._log, make_room=lambda store: marks.make_room(store, clock.now())
        )
        # With data-consent-from the platform decides: pending until it answers.
        self._consent: Consent = "pending" if config.consent_from else config.consent
        granted = self._granted
        self._marks = marks.Marks(self._store, clock, scheduler, granted)
        placed = PlacedIds(config.user_id_from, config.session_id_from, places, self._log)
        self._identity = IdentityKeeper(self._store, ids.new_id, scheduler, granted, placed)
        self._sender = Sender(
            self._store,
            clock=clock,
            transport=transport,
            scheduler=scheduler,
            locks=self._locks,
            log=self._log,
            decide=self._reporter.decide,
            consent=lambda: self._consent,
            request_timeout=config.request_timeout,
            new_id=ids.new_id,
            rand=rand,
        )
        self._origins = frozenset(config.beacon_origins)
        self._waiting = WaitingEvents()  # while consent is pending
        self._viewed: set[str] = set()  # view URLs sent in this page view
        self._started = False

    def _granted(self) -> bool:
        return self._consent == "granted"

    # --- identity and consent -------------------------------------------------------------

    @property
    def identity(self) -> Identity | None:
        """The ids sent with events; None while consent is not granted."""
        if not self._granted():
            return None
        if self._identity.current is None:
            return self._identity.resolve(self.config, self._clock.now())
        return self._identity.current

    @property
    def consent_state(self) -> Consent:
        """``"granted"``, ``"pending"`` or ``"denied"``."""
        return self._consent

    @property
    def outbox_size(self) -> int:
        """Events kept in the outbox (waiting to be sent again, or in flight)."""
        return Outbox(self._store).size()

    @property
    def held_for_consent(self) -> int:
        """Events held in memory while consent is pending."""
        return len(self._waiting)

    def consent(self, value: object) -> bool:
        """ "granted" sends what waited; "denied" clears every adtracker: key and stops."""
        if value not in CONSENTS:
            self._log.error(f"consent must be {_CONSENT_WORDS}, not {value!r}")
            return False
        previous, self._consent = self._consent, value  # type: ignore[assignment]
        if value == "denied":
            self._clear_everything()
            self._log.debug("consent denied: cleared every adtracker: key; the tracker is stopped")
        elif value == "granted" and previous != "granted" and self._started:
            self._log.debug(f"consent granted: sending {len(self._waiting)} waiting event(s)")
            waiting = self._waiting.take()
            self.start()
            for event_type, url, when, payload in waiting:
                self._safely(event_type, url, when, payload)
        return True

    def _clear_everything(self) -> None:
        self._waiting.clear()
        self._marks.forget()
        self._identity.forget()
        for key in self._store.keys(keys.PREFIX):
            self._store.remove(key)

    def identify(self, user_id: object) -> bool:
        """Use the store's customer id from now on (after login)."""
        try:
            valid = HOST_ID.validate_python(user_id)
        except ValidationError as exc:
            self._log.error(f"identify: {exc.errors(include_url=False)[0]['msg']}")
            return False
        self.config = self.config.model_copy(update={"user_id": valid})
        if self._granted():
            self._identity.resolve(self.config, self._clock.now())
        return True

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Resolve ids, then (under the lock) take over the pre-boot queue and flush the outbox."""
        self._started = True
        if self._consent == "denied":
            self._clear_everything()
            return
        if self._consent == "pending":
            self._log.debug("consent pending: nothing is stored or sent until it is granted")
            return
        self._identity.resolve(self.config, self._clock.now())
        self._locks.run(keys.FLUSH_LOCK, self._start_locked)
        self._scheduler.soon(self.prune)

    def _start_locked(self) -> None:
        self.take_over_preboot()
        self._sender.flush_locked()

    def take_over_preboot(self) -> None:
        """Act on the pre-boot queue the JS loader stored (earlier pages, other tabs)."""
        self.take_over(preboot.take_stored(self._store, self._log), live=False)

    def take_over(self, items: list[object], *, live: bool = True) -> set[tuple[UrlEventType, str]]:
        """Report what the loader saw before Python ran (``events.preboot``) under the usual
        rules: its clicks, and the impressions and views of the ads it watched (``live``:
        on this page, still open); the clicks the loader sent itself are only reported.
        Returns the (event type, URL) pairs it decided."""
        found = preboot.events_to_send(items, self._clock.now(), self._log, live=live)
        decided = {(k, url) for k, url, at in found if self._safely(k, url, at) != "refused"}
        for url, outcome, reason in preboot.loader_sent(items, Outbox(self._store).get):
            self._reporter.outcome("click", url, outcome, reason)
            decided.add(("click", url))
        return decided

    def prune(self, max_marks: int = MAX_MARKS) -> None:
        """Delete expired dedup marks and cap their number (off the click path)."""
        self._marks.prune(max_marks)

    def flush(self) -> None:
        """Send every due event in the outbox (page load, retry timers)."""
        self._sender.flush()

    def back_online(self) -> None:
        """The browser is online again (``online``): waiting events are sent soon."""
        self._sender.back_online()

    def new_page_view(self) -> None:
        """A route change (pushState, popstate): a new page view; the ids' places are read."""
        self._viewed.clear()
        if self._granted() and self._identity.current is not None:
            self._identity.for_event(self.config, self._clock.now())

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
        hashed = conversion.hash_order(order)
        if isinstance(hashed, str):
            return self._refuse_conversion(hashed)
        return self._safely("conversion", self.config.conversion_url, at, hashed)

    def _safely(
        self,
        event_type: EventType,
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
        self, event_type: EventType, url: object, at: float | None, payload: dict[str, Any] | None
    ) -> Outcome:
        if self._consent == "denied":
            return self._reporter.outcome(event_type, url, "refused", "consent denied")
        verdict = check_beacon_url(url, self._origins)
        if not verdict.ok:
            return self._reporter.outcome(event_type, url, "refused", verdict.reason)
        assert isinstance(url, str)
        now = self._clock.now()
        when = now if at is None else at
        if self._consent == "pending":
            if not self._waiting.hold((event_type, url, when, payload)):
                return self._reporter.outcome(event_type, url, "refused", FULL)
            return self._reporter.outcome(event_type, url, "queued", "waiting for consent")
        ids = self._identity.for_event(self.config, now)
        if event_type == "conversion":
            assert payload is not None  # the order, hashed by track_conversion
            prepared = conversion.prepare(payload, ids, when, self.config)
            if isinstance(prepared, str):
                return self._refuse_conversion(prepared)
            key, body = prepared
        else:
            if event_type == "view" and url in self._viewed:
                return self._reporter.outcome(
                    event_type, url, "deduplicated", "viewed in this page view"
                )
            key = dedup.dedup_key(event_type, ids.user_id, ids.session_id, url)
            body = self._identity.body
        if self._marks.seen(key, when):
            until = self._marks.until(key)
            return self._reporter.outcome(
                event_type, url, "deduplicated", "already sent in its window", until
            )
        self._marks.add(key, dedup.expiry_for(event_type, when))
        if event_type == "view":
            self._viewed.add(url)
        outcome, reason = self._sender.submit(NewEvent(event_type, url, body, when))
        return self._reporter.outcome(event_type, url, outcome, reason)

    def _refuse_conversion(self, reason: str) -> Outcome:
        self._log.error(f"conversion not sent: {reason}")
        return self._reporter.outcome("conversion", self.config.conversion_url, "refused", reason)
