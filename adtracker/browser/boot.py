"""Start the tracker in the page. Called by the loader (``tracker.js``) once Pyodide is up.

``start`` is synchronous on purpose: it attaches Python's click listener, and the
loader removes its own pre-boot listener in the same task, so no click falls
between the two.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import js
from pyodide.ffi import create_proxy

from adtracker import __version__, commands
from adtracker.base.decisions import Decision
from adtracker.base.store import MemoryStorage
from adtracker.browser.ads import AdWatcher
from adtracker.browser.consent_sources import follow
from adtracker.browser.discovery import AdFinder
from adtracker.browser.dom import ClickListener
from adtracker.browser.fallback_fetch import install as install_import_fallback
from adtracker.browser.ffi import js_object, to_py
from adtracker.browser.places import BrowserPlaces
from adtracker.browser.platform import (
    BrowserClock,
    ConsoleLog,
    FetchTransport,
    LocalStorage,
    TimeoutScheduler,
    WebLocks,
    local_storage_or_none,
)
from adtracker.browser.platform_events import PlatformEvents
from adtracker.browser.routes import RouteWatcher
from adtracker.config import TrackerConfig, config_from_attributes, debug_from_query
from adtracker.consent.platform import PlatformConsent
from adtracker.ids.identity import Uuid4Source
from adtracker.tracker import Tracker
from adtracker.vtex.handler import VtexEvents

if TYPE_CHECKING:  # imported when the overlay is on, not before (see start)
    from adtracker.browser.overlay import PageOverlay

EVENT_NAME = "adtracker:event"

_live: dict[str, Any] = {}


def _observe(decision: Decision) -> None:
    """The tracker's observer: the page's event, and the QA overlay when it is on."""
    _announce(decision)
    overlay: PageOverlay | None = _live.get("overlay")
    if overlay is not None:
        overlay.record(decision)


def _announce(decision: Decision) -> None:
    """Tell the page about a decision: ``CustomEvent("adtracker:event")`` on ``document``."""
    detail = js_object(
        type=decision.type, url=decision.url, outcome=decision.outcome, reason=decision.reason
    )
    if decision.until is not None:  # deduplicated: until when, in ms like Date.now()
        detail.until = decision.until * 1000
    init = js.Object.new()
    init.detail = detail
    js.document.dispatchEvent(js.CustomEvent.new(EVENT_NAME, init))


def _attributes(raw: Any) -> dict[str, Any]:
    value = to_py(raw) if raw is not None else {}
    return dict(value) if isinstance(value, dict) else {}


def run_command(raw: Any, at_ms: Any = None) -> bool:
    """One ``adTracker.push`` command, from JS. Never raises."""
    tracker: Tracker | None = _live.get("tracker")
    log = _live.get("log") or ConsoleLog()
    try:
        at = float(at_ms) / 1000.0 if isinstance(at_ms, int | float) else None
        if tracker is None:
            log.error("bad command: the tracker is not running")
            return False
        return commands.run(tracker, to_py(raw), log, at)
    except Exception as exc:
        log.error(f"bad command: {exc!r}")
        return False


def _watch_ads(
    tracker: Tracker,
    clock: BrowserClock,
    scheduler: TimeoutScheduler,
    places: BrowserPlaces,
    on_error: Callable[[str], None],
) -> tuple[AdWatcher, AdFinder]:
    """Impressions and views: the finder feeds the watcher; a route change is a new page view."""
    watcher = AdWatcher(
        on_impression=tracker.track_impression,
        on_view=tracker.track_view,
        clock=clock,
        scheduler=scheduler,
        on_error=on_error,
    )
    finder = AdFinder(watcher, scheduler, on_error)

    def new_page_view() -> None:
        consent = _live.get("consent")
        if consent is not None:  # data-consent-from: the platform may have changed
            consent.route_changed()
        places.refresh()  # the ids' places are read afresh (tracker.new_page_view)
        tracker.new_page_view()
        watcher.new_page_view()
        overlay: PageOverlay | None = _live.get("overlay")
        if overlay is not None:
            overlay.new_page_view()
        finder.scan(js.document)

    routes = RouteWatcher(new_page_view, on_error)
    routes.start()  # first: its DOM backstop must run before the finder's (routes.py)
    watcher.start()
    finder.start()
    _live.update(watcher=watcher, finder=finder, routes=routes)
    return watcher, finder


def _settings(config: TrackerConfig | Mapping[str, Any] | None) -> tuple[TrackerConfig, list[str]]:
    """The config, with ``?adtracker-debug=…`` in the page's URL taken as ``data-debug``."""
    if isinstance(config, TrackerConfig):
        return config, []
    attributes = dict(config or {})
    asked = debug_from_query(str(js.location.search))
    if asked is not None:
        attributes["debug"] = asked
    return config_from_attributes(attributes)


def start(
    config: TrackerConfig | Mapping[str, Any] | None = None,
    *,
    memory_queue: list[Any] | None = None,
    queued: list[Any] | None = None,
    platform_messages: list[Any] | None = None,
    captured: Any = None,
    load_overlay: Callable[[], Any] | None = None,
) -> Tracker:
    """Start the tracker in this page and return it (once per page; later calls return it).

    From Python (PyScript, a Pyodide page):

        from adtracker.browser import start
        tracker = start({"beacon_origins": "https://events.newtail-media.newtail.com.br",
                         "user_id": "customer-42"})

    ``config`` is an ``adtracker.TrackerConfig`` or a mapping of its fields
    (or of the script tag's attribute names). Bad values are reported on the console
    and their defaults apply. The tracker then reports ad clicks (one delegated
    listener), impressions and views (observers) by itself; call its methods for
    the rest. ``memory_queue`` and ``queued`` are the loader's pre-boot record of this
    page (clicks, and the ads it watched) and its commands; ``platform_messages`` the
    VTEX storefront messages it kept in memory
    (``data-vtex-events``; without the loader, messages before ``start`` are not seen).
    ``captured`` is the loader's capture of ``fetch`` and ``localStorage``
    (web/src/builtins.js); without it, both are taken as the page has them now.
    ``load_overlay`` imports the QA overlay's drawing module (the loader's bridge); it
    is called only when the overlay is on.
    """
    if "tracker" in _live:
        return _live["tracker"]
    log = ConsoleLog()
    settings, problems = _settings(config)
    for problem in problems:
        log.error(problem)
    storage = local_storage_or_none(getattr(captured, "storage", None))
    locks = WebLocks(log.error)
    clock = BrowserClock()
    scheduler = TimeoutScheduler()
    places = BrowserPlaces()
    tracker = Tracker(
        settings,
        clock=clock,
        storage=LocalStorage(storage) if storage is not None else MemoryStorage(),
        transport=FetchTransport(getattr(captured, "fetch", None), scheduler),
        ids=Uuid4Source(),
        scheduler=scheduler,
        log=log,
        observer=_observe,
        locks=locks,
        places=places,
    )
    install_import_fallback(tracker.log)  # the snapshot path runs on trimmed archives
    if settings.debug:
        if storage is None:
            log.warn("localStorage is unavailable; ids and dedup last for this page only")
        if not locks.available:
            log.warn("Web Locks API missing: outbox leases alone guard against other tabs")
    listener = ClickListener(tracker.track_click, log.error)
    listener.attach()
    _live.update(tracker=tracker, listener=listener, log=log)
    if settings.consent_from is not None:  # known before start when the platform has spoken
        said = "consent" in settings.model_fields_set
        follower = PlatformConsent(tracker, settings.consent_from, said_consent=said)
        _live["consent"] = follow(settings.consent_from, follower, log.error)
    tracker.start()
    watcher, finder = _watch_ads(tracker, clock, scheduler, places, log.error)
    if settings.overlay:  # off: no module, no DOM, no timer
        if load_overlay is None:
            log.warn("the overlay is drawn by overlay.mjs, which the loader (tracker.js) brings")
        else:  # its Python, too, is imported only when asked for
            from adtracker.browser.overlay import PageOverlay

            overlay = PageOverlay(
                tracker, watcher, finder, load_overlay, clock, scheduler, log.error
            )
            _live["overlay"] = overlay
            overlay.start()
    vtex_user = settings.user_id_from is not None and settings.user_id_from.kind == "vtex"
    if settings.vtex_events or vtex_user:  # VTEX storefront events: orderPlaced, userData
        platform = PlatformEvents(VtexEvents(tracker, orders=settings.vtex_events), log.error)
        platform.attach()
        _live["platform"] = platform
        platform.take_over(platform_messages or [])
    if memory_queue:  # what the loader saw on this page: clicks, and ads it watched
        watcher.already_counted(tracker.take_over(memory_queue))
    for record in queued or []:
        if isinstance(record, dict):
            run_command(record.get("c"), record.get("t"))
    online = create_proxy(lambda _event: tracker.back_online())
    js.window.addEventListener("online", online)
    _live["online"] = online
    ident = tracker.identity
    if tracker.debug and ident is not None:
        log.debug(
            f"adtracker {__version__} ready: user_id={ident.user_id}"
            f" session_id={ident.session_id}"
            f" beacon origins={' '.join(settings.beacon_origins)}"
        )
    return tracker


def start_from_loader(
    raw_attributes: Any,
    memory_queue: Any,
    queued: Any,
    platform_messages: Any = None,
    boot_notes: Any = None,
    captured: Any = None,
    load_overlay: Any = None,
) -> Tracker:
    """Entry point for ``tracker.js``: the script tag's raw attributes, what it queued
    (clicks, commands, platform messages), the loader's notes on how Python was
    started (printed in debug mode), the built-ins it captured and its import of the
    overlay's drawing module."""
    tracker = start(
        _attributes(raw_attributes),
        memory_queue=to_py(memory_queue) or [],
        queued=to_py(queued) or [],
        platform_messages=to_py(platform_messages) or [],
        captured=captured,
        load_overlay=load_overlay,
    )
    notes = to_py(boot_notes) if boot_notes is not None else []
    for note in notes if isinstance(notes, list) else []:
        tracker.log.debug(f"boot: {note}")  # the tracker's log: printed in debug mode only
    return tracker


def loader_note(note: Any) -> None:
    """A note from ``tracker.js`` after the hand-over (e.g. it ran again): debug mode only."""
    tracker = _live.get("tracker")
    if tracker is not None:
        tracker.log.debug(f"loader: {to_py(note)}")


def current() -> Tracker | None:
    """The tracker started in this page, if any."""
    return _live.get("tracker")
