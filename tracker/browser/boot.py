"""Start the tracker in the page. Called by the loader (``tracker.js``) once Pyodide is up.

``start`` is synchronous on purpose: it attaches Python's click listener, and the
loader removes its own pre-boot listener in the same task, so no click falls
between the two.
"""

from __future__ import annotations

from typing import Any

import js
from pyodide.ffi import to_js

from tracker.browser.dom import ClickListener
from tracker.browser.platform import (
    BrowserClock,
    ConsoleLog,
    FetchTransport,
    LocalStorage,
    TimeoutScheduler,
    local_storage_or_none,
)
from tracker.config import config_from_attributes
from tracker.decisions import Decision
from tracker.ids import Uuid4Source
from tracker.store import MemoryStorage
from tracker.tracker import Tracker

EVENT_NAME = "adtracker:event"

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


def _attributes(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    value = raw.to_py() if hasattr(raw, "to_py") else raw
    return dict(value) if isinstance(value, dict) else {}


def start(raw_attributes: Any = None, memory_queue: Any = None) -> Tracker:
    """Build the tracker from the script tag's ``data-`` attributes and attach it.

    ``memory_queue`` holds pre-boot clicks the loader could not write to storage.
    """
    if "tracker" in _live:
        return _live["tracker"]
    config, problems = config_from_attributes(_attributes(raw_attributes))
    log = ConsoleLog(config.debug)
    for problem in problems:
        js.console.error(f"[adtracker] {problem}")
    storage = local_storage_or_none()
    if storage is None:
        log.warn("localStorage is unavailable; ids and dedup last for this page only")
    tracker = Tracker(
        config,
        clock=BrowserClock(),
        storage=LocalStorage(storage) if storage is not None else MemoryStorage(),
        transport=FetchTransport(),
        ids=Uuid4Source(),
        scheduler=TimeoutScheduler(),
        log=log,
        observer=_dispatch,
    )
    listener = ClickListener(tracker.track_click, log.error)
    listener.attach()
    tracker.start()
    if memory_queue is not None and len(memory_queue):
        tracker.take_over_clicks(memory_queue.to_py())
    _live["tracker"] = tracker
    _live["listener"] = listener
    log.debug(
        f"ready: user_id={tracker.identity.user_id} session_id={tracker.identity.session_id} "
        f"beacon origins={' '.join(config.beacon_origins)}"
    )
    return tracker
