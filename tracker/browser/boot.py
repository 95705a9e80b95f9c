"""Start the tracker in the page. Called by the loader (``tracker.js``) once Pyodide is up.

``start`` is synchronous on purpose: it attaches Python's click listener, and the
loader removes its own pre-boot listener in the same task, so no click falls
between the two.
"""

from __future__ import annotations

from typing import Any

import js
from pyodide.ffi import create_proxy, to_js

from tracker import commands
from tracker.browser.ads import AdWatcher
from tracker.browser.dom import ClickListener
from tracker.browser.platform import (
    BrowserClock,
    ConsoleLog,
    FetchTransport,
    LocalStorage,
    TimeoutScheduler,
    WebLocks,
    local_storage_or_none,
)
from tracker.config import config_from_attributes
from tracker.decisions import Decision
from tracker.ids import Uuid4Source
from tracker.store import MemoryStorage
from tracker.tracker import Tracker

EVENT_NAME = "adtracker:event"
TO_PY_DEPTH = 8  # commands are small; a deeper (or cyclic) object is refused

_live: dict[str, Any] = {}


def _dispatch(decision: Decision) -> None:
    detail = to_js(
        {
            "type": decision.type,
            "url": decision.url,
            "outcome": decision.outcome,
            "reason": decision.reason,
        },
        dict_converter=js.Object.fromEntries,
    )
    init = js.Object.new()
    init.detail = detail
    js.document.dispatchEvent(js.CustomEvent.new(EVENT_NAME, init))


def _to_py(value: Any) -> Any:
    return value.to_py(depth=TO_PY_DEPTH) if hasattr(value, "to_py") else value


def _attributes(raw: Any) -> dict[str, Any]:
    value = _to_py(raw) if raw is not None else {}
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
        return commands.run(tracker, _to_py(raw), log, at)
    except Exception as exc:
        log.error(f"bad command: {exc!r}")
        return False


def start(raw_attributes: Any = None, memory_queue: Any = None, queued: Any = None) -> Tracker:
    """Build the tracker from the script tag's ``data-`` attributes and attach it.

    ``memory_queue`` holds pre-boot clicks the loader could not (or, with consent
    pending, must not) write to storage; ``queued`` holds ``{c: command, t: ms}``
    records of commands pushed before boot, replayed in order.
    """
    if "tracker" in _live:
        return _live["tracker"]
    config, problems = config_from_attributes(_attributes(raw_attributes))
    log = ConsoleLog()
    for problem in problems:
        log.error(problem)
    storage = local_storage_or_none()
    locks = WebLocks(log.error)
    tracker = Tracker(
        config,
        clock=BrowserClock(),
        storage=LocalStorage(storage) if storage is not None else MemoryStorage(),
        transport=FetchTransport(config.request_timeout),
        ids=Uuid4Source(),
        scheduler=TimeoutScheduler(),
        log=log,
        observer=_dispatch,
        locks=locks,
    )
    if config.debug:
        if storage is None:
            log.warn("localStorage is unavailable; ids and dedup last for this page only")
        if not locks.available:
            log.warn("Web Locks API missing: outbox leases alone guard against other tabs")
    listener = ClickListener(tracker.track_click, log.error)
    listener.attach()
    _live.update(tracker=tracker, listener=listener, log=log)
    tracker.start()
    watcher = AdWatcher(tracker, log.error)
    watcher.start()
    _live["watcher"] = watcher
    if memory_queue is not None and len(memory_queue):
        tracker.take_over_clicks(_to_py(memory_queue))
    for record in _to_py(queued) or []:
        if isinstance(record, dict):
            run_command(record.get("c"), record.get("t"))
    online = create_proxy(lambda _event: tracker.flush())
    js.window.addEventListener("online", online)
    _live["online"] = online
    ident = tracker.identity
    if tracker.debug and ident is not None:
        log.debug(
            f"ready: user_id={ident.user_id} session_id={ident.session_id}"
            f" beacon origins={' '.join(config.beacon_origins)}"
        )
    return tracker
