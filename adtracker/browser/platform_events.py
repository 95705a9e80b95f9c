"""The page's ``message`` events → :class:`adtracker.vtex.handler.VtexEvents`
(``data-vtex-events``).

VTEX's pixel manager posts each storefront event to the page itself
(``window.postMessage(data, window.origin)``). Only a message whose ``source`` is this
very window AND whose ``origin`` is this page's origin counts: any frame (an ad, a
widget, a cross-origin iframe) can post to us, and it could forge orders. Anything
else carrying a VTEX event name is ignored, with a debug line and an
``adtracker:event``. The loader (``web/src/tracker.js``) applies the same rule to the
messages it keeps in memory before Python starts, and hands them over here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_proxy

from adtracker.browser.platform import is_null
from adtracker.vtex.handler import VtexEvents
from adtracker.vtex.storefront import EVENT_NAMES

#: Messages are small; a deeper (or cyclic) object is cut here (unused fields only).
TO_PY_DEPTH = 8


def _to_py(value: Any) -> Any:
    return value.to_py(depth=TO_PY_DEPTH) if hasattr(value, "to_py") else value


def _event_name(data: Any) -> str | None:
    """``data.eventName`` when data is a JS object carrying one of ours, else None."""
    if is_null(data) or not hasattr(data, "to_py"):  # a string, a number…: not an event
        return None
    try:
        name = data.eventName
    except AttributeError:
        return None
    return name if isinstance(name, str) and name in EVENT_NAMES else None


def from_this_page(event: Any) -> bool:
    """The rule: posted by this window, from this page's origin."""
    return bool(event.source == js.window and event.origin == js.window.location.origin)


class PlatformEvents:
    """Owns the ``message`` listener proxy: attach once, detach to release it."""

    def __init__(self, vtex: VtexEvents, on_error: Callable[[str], None]) -> None:
        self._vtex = vtex
        self._on_error = on_error
        self._proxy = create_proxy(self._handle)

    def _handle(self, event: Any) -> None:
        try:
            data = event.data
            name = _event_name(data)
            if name is None:
                return  # not a VTEX event we handle: other scripts post messages too
            if from_this_page(event):
                self._vtex.handle(_to_py(data))
            else:
                self._vtex.foreign(name, str(event.origin or ""))
        except Exception as exc:  # never raise into the page
            self._on_error(f"message handler error: {type(exc).__name__}: {exc}")

    def take_over(self, records: list[Any]) -> None:
        """The loader's pre-boot records: ``{d: data, t: ms}`` (from this page) or
        ``{e: event name, o: origin, t: ms}`` (posted by another window or origin)."""
        for record in records:
            record = _to_py(record)
            if not isinstance(record, dict):
                continue
            at = record.get("t")
            when = float(at) / 1000.0 if isinstance(at, int | float) else None
            if "d" in record:
                self._vtex.handle(record["d"], at=when)
            elif isinstance(record.get("e"), str) and record["e"] in EVENT_NAMES:
                self._vtex.foreign(record["e"], str(record.get("o") or ""))

    def attach(self) -> None:
        js.window.addEventListener("message", self._proxy)

    def detach(self) -> None:
        js.window.removeEventListener("message", self._proxy)
        self._proxy.destroy()
