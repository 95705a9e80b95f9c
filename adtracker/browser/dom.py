"""The DOM side of click tracking: one delegated capture-phase listener on ``document``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_proxy

from adtracker.browser.ffi import guarded, is_null, js_object
from adtracker.browser.markup import CLICK_ATTR, CLICK_SELECTOR
from adtracker.browser.shadow import nearest_on_path

MIDDLE_BUTTON = 1


def ad_click_url(event: Any) -> str | None:
    """The ``data-ad-click-url`` of the nearest ad around the event target, if any
    (through open shadow roots).

    A ``click`` counts; an ``auxclick`` counts only for the middle button (a new tab).
    """
    if event.type == "auxclick" and event.button != MIDDLE_BUTTON:
        return None
    ad = nearest_on_path(event, CLICK_SELECTOR)
    if ad is None:
        return None
    value = ad.getAttribute(CLICK_ATTR)
    return None if is_null(value) else str(value)


class ClickListener:
    """Owns the listener proxy for the page's lifetime."""

    def __init__(
        self, on_ad_click: Callable[[str], object], on_error: Callable[[str], None]
    ) -> None:
        self._on_ad_click = on_ad_click
        self._proxy = create_proxy(guarded(self._handle, on_error, "click handler"))
        self._options = js_object(capture=True, passive=True)

    def _handle(self, event: Any) -> None:
        # Never preventDefault; guarded: never raises into the page.
        url = ad_click_url(event)
        if url is not None:
            self._on_ad_click(url)

    def attach(self) -> None:
        for name in ("click", "auxclick"):
            js.document.addEventListener(name, self._proxy, self._options)
