"""Route changes: a new path or query (``pushState``, back/forward) is a new page view."""

from __future__ import annotations

from collections.abc import Callable

import js
from pyodide.ffi import create_proxy

from tracker.browser.ffi import guarded, is_null


def location_key() -> str:
    """What identifies a page view: path and query (a hash change is the same page)."""
    return f"{js.location.pathname}{js.location.search}"


class RouteWatcher:
    """Calls ``on_new_page()`` when the location's path or query changes."""

    def __init__(self, on_new_page: Callable[[], None], on_error: Callable[[str], None]) -> None:
        self._on_new_page = on_new_page
        self._on_error = on_error
        self._page_key = location_key()
        self._on_route = create_proxy(guarded(lambda *_: self._check(), on_error, "route"))

    def start(self) -> None:
        navigation = getattr(js.window, "navigation", None)
        if navigation is not None and not is_null(navigation):
            navigation.addEventListener("currententrychange", self._on_route)
        else:
            js.window.addEventListener("popstate", self._on_route)
            self._wrap_history()

    def _wrap_history(self) -> None:
        """Without the Navigation API, notice pushState/replaceState by wrapping them."""
        js.window.__adtrackerRoute = self._on_route
        try:
            js.eval(
                "(function(h){['pushState','replaceState'].forEach(function(n){var o=h[n];"
                "h[n]=function(){var r=o.apply(this,arguments);try{window.__adtrackerRoute()}"
                "catch(e){}return r;};});})(history)"
            )
        except Exception as exc:  # a CSP without 'unsafe-eval': back/forward still seen
            self._on_error(f"pushState routing is not seen: {exc!r}")

    def _check(self) -> None:
        key = location_key()
        if key == self._page_key:
            return  # a hash change or a replaceState of the same URL
        self._page_key = key
        self._on_new_page()
