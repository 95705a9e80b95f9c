"""Route changes: a new path or query (``pushState``, back/forward) is a new page view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_proxy

from adtracker.browser.ffi import guarded, is_null, js_object


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
        self._history_trap: Any = None  # kept alive while the page lives
        self._renders: Any = None  # the MutationObserver of _watch_renders

    def start(self) -> None:
        navigation = getattr(js.window, "navigation", None)
        if navigation is not None and not is_null(navigation):
            navigation.addEventListener("currententrychange", self._on_route)
        else:
            js.window.addEventListener("popstate", self._on_route)
            self._wrap_history()
            self._watch_renders()

    def _wrap_history(self) -> None:
        """Without the Navigation API (Safari before 26.2, Firefox before 147), notice
        pushState/replaceState: each becomes a JS ``Proxy`` of itself whose ``apply`` trap
        calls it, then notes the route change. No ``eval``/``new Function``: the strict
        CSP the README documents (no 'unsafe-eval') refuses both.

        They are wrapped on ``History.prototype``, not on ``history``: a router that later
        sets its own ``history.pushState`` and calls the prototype's still goes through
        the trap."""
        prototype = js.History.prototype
        on_route = self._on_route

        def apply(target: Any, this: Any, args: Any) -> Any:
            result = js.Reflect.apply(target, this, args)  # the page's own call, first
            on_route(None)
            return result

        self._history_trap = create_proxy(apply)
        handler = js_object(apply=self._history_trap)
        for name in ("pushState", "replaceState"):
            setattr(prototype, name, js.Proxy.new(getattr(prototype, name), handler))

    def _watch_renders(self) -> None:
        """The backstop for a router that kept the browser's own pushState from before we
        wrapped it: a new route renders, so every batch of DOM changes compares the
        location once more (a string compare; started before the ad finder's observer,
        so the new page view is known before the new route's ads are looked at)."""
        self._renders = js.MutationObserver.new(self._on_route)
        self._renders.observe(js.document, js_object(childList=True, subtree=True))

    def _check(self) -> None:
        key = location_key()
        if key == self._page_key:
            return  # a hash change or a replaceState of the same URL
        self._page_key = key
        self._on_new_page()
