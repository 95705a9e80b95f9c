"""Where stores keep their ids, read for the core's ``PlaceReader`` port
(``data-user-id-from``, ``data-session-id-from``; see ``adtracker.places``).

One property read per call: the core reads before every event and checks the text only
when it changed. A sandboxed frame's ``document.cookie`` or storage throws; the core
catches that and falls back to its own ids.
"""

from __future__ import annotations

from typing import Any

import js

from adtracker.browser.ffi import is_null
from adtracker.vocabulary import StorageArea


class BrowserPlaces:
    def __init__(self) -> None:
        self._document = js.document
        self._areas: dict[str, Any] = {}

    def cookies(self) -> str:
        return str(self._document.cookie)

    def item(self, area: StorageArea, key: str) -> str | None:
        storage = self._areas.get(area)
        if storage is None:
            storage = self._areas[area] = getattr(js.window, area)  # may throw: blocked
        value = storage.getItem(key)
        return None if is_null(value) else str(value)
