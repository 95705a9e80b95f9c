"""Where stores keep their ids, read for the core's ``PlaceReader`` port
(``data-user-id-from``, ``data-session-id-from``; see ``adtracker.ids.places``).

The core reads before every event and checks the text only when it changed. Web storage
is one cheap call. ``document.cookie`` is not (the browser assembles the string and
Pyodide copies it: tens of µs for a store's 2 kB of cookies), so where the browser has the
Cookie Store API its ``change`` events say when the cookies may have changed and the last
string is reused meanwhile; a route change reads afresh (:meth:`BrowserPlaces.refresh`),
and without the API every read is fresh. A sandboxed frame's ``document.cookie`` or
storage throws; the core catches that and falls back to its own ids.
"""

from __future__ import annotations

from typing import Any

import js
from pyodide.ffi import create_proxy

from adtracker.base.vocabulary import StorageArea
from adtracker.browser.ffi import is_null


class BrowserPlaces:
    def __init__(self) -> None:
        self._document = js.document
        self._areas: dict[str, Any] = {}
        self._cookies: str | None = None  # the last string, while no change was announced
        self._watching: bool | None = None  # None: not tried yet
        self._on_change = create_proxy(self._changed)  # kept alive while the page lives

    def cookies(self) -> str:
        cached = self._cookies
        if cached is not None:
            return cached
        text = str(self._document.cookie)
        if self._watching is None:
            self._watching = self._watch()
        if self._watching:
            self._cookies = text
        return text

    def item(self, area: StorageArea, key: str) -> str | None:
        storage = self._areas.get(area)
        if storage is None:
            storage = self._areas[area] = getattr(js.window, area)  # may throw: blocked
        value = storage.getItem(key)
        return None if is_null(value) else str(value)

    def refresh(self) -> None:
        """A route change: the next read is fresh (the path decides which cookies show)."""
        self._cookies = None

    def _watch(self) -> bool:
        store = getattr(js.window, "cookieStore", None)
        if store is None or is_null(store):
            return False
        try:
            store.addEventListener("change", self._on_change)
        except Exception:
            return False
        return True

    def _changed(self, *_: Any) -> None:
        self._cookies = None
