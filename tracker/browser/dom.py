"""The DOM side of click tracking: one delegated capture-phase listener on ``document``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_proxy

from tracker.browser.platform import ELEMENT_NODE, is_null, js_object

AD_CLICK_SELECTOR = "[data-ad-click-url]"
AD_CLICK_ATTRIBUTE = "data-ad-click-url"
MIDDLE_BUTTON = 1


def ad_click_url(event: Any) -> str | None:
    """The ``data-ad-click-url`` of the nearest ad around the event target, if any.

    A ``click`` counts; an ``auxclick`` counts only for the middle button (a new tab).
    """
    if event.type == "auxclick" and event.button != MIDDLE_BUTTON:
        return None
    target = event.target
    if is_null(target):
        return None
    if target.nodeType != ELEMENT_NODE:
        target = target.parentElement  # e.g. a text node
        if is_null(target):
            return None
    ad = target.closest(AD_CLICK_SELECTOR)
    if is_null(ad):
        return None
    value = ad.getAttribute(AD_CLICK_ATTRIBUTE)
    return None if is_null(value) else str(value)


class ClickListener:
    """Owns the listener proxy: attach once, detach to release it."""

    def __init__(
        self, on_ad_click: Callable[[str], object], on_error: Callable[[str], None]
    ) -> None:
        self._on_ad_click = on_ad_click
        self._on_error = on_error
        self._proxy = create_proxy(self._handle)
        self._options = js_object(capture=True, passive=True)

    def _handle(self, event: Any) -> None:
        # Never preventDefault, never raise into the page.
        try:
            url = ad_click_url(event)
            if url is not None:
                self._on_ad_click(url)
        except Exception as exc:
            self._on_error(f"click handler error: {type(exc).__name__}: {exc}")

    def attach(self) -> None:
        for name in ("click", "auxclick"):
            js.document.addEventListener(name, self._proxy, self._options)

    def detach(self) -> None:
        for name in ("click", "auxclick"):
            js.document.removeEventListener(name, self._proxy, self._options)
        self._proxy.destroy()
