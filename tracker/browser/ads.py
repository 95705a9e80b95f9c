"""Impressions and views in the page: one IntersectionObserver, one MutationObserver.

Ads are found by attribute (``data-ad-impression-url``, ``data-ad-view-url``) when the
tracker starts and whenever the DOM changes, so ads inserted later, re-rendered,
moved or re-attributed are picked up; elements that leave the DOM are unobserved
and forgotten, so a long session does not leak. A route change (``pushState``,
``popstate``) starts a new page view for the view rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import js
from pyodide.ffi import create_once_callable, create_proxy

from tracker.browser.platform import ELEMENT_NODE, is_null, js_object
from tracker.tracker import Tracker
from tracker.visibility import ViewTimer, impression_due, update

IMPRESSION_ATTR = "data-ad-impression-url"
VIEW_ATTR = "data-ad-view-url"
SELECTOR = f"[{IMPRESSION_ATTR}],[{VIEW_ATTR}]"
# Attribute changes that can make an ad appear, disappear or change.
WATCHED_ATTRIBUTES = [IMPRESSION_ATTR, VIEW_ATTR, "style", "class", "hidden", "open"]
THRESHOLDS = [0, 0.5, 1]
RECHECK_MS = 250  # an intersecting ad that is not painted yet is looked at again


def _attr(element: Any, name: str) -> str | None:
    value = element.getAttribute(name)
    return None if is_null(value) else str(value)


def painted(element: Any) -> bool:
    """Rendered with a non-empty box: not display:none / visibility:hidden (itself or an
    ancestor), not zero-sized, not in a closed <details>, not skipped by content-visibility."""
    if hasattr(element, "checkVisibility"):
        options = js_object(contentVisibilityAuto=True, visibilityProperty=True)
        if not element.checkVisibility(options):
            return False
    else:  # older browsers: walk the ancestors
        node = element
        while not is_null(node) and getattr(node, "nodeType", 0) == ELEMENT_NODE:
            style = js.window.getComputedStyle(node)
            if style.display == "none" or style.visibility == "hidden":
                return False
            node = node.parentElement
    rect = element.getBoundingClientRect()
    return rect.width > 0 and rect.height > 0


@dataclass
class AdState:
    element: Any
    impression_url: str | None
    view_url: str | None
    intersecting: bool = False
    ratio: float = 0.0
    impressed: bool = False
    viewed: bool = False
    timer: ViewTimer = field(default_factory=ViewTimer)
    token: int = 0  # invalidates pending timeouts
    rechecking: bool = False


class AdWatcher:
    def __init__(self, tracker: Tracker, on_error: Any) -> None:
        self._tracker = tracker
        self._on_error = on_error
        self._ids = js.WeakMap.new()
        self._states: dict[int, AdState] = {}
        self._next_id = 0
        self._page_key = self._location_key()
        self._proxies = [
            create_proxy(self._guard(self._on_intersections)),
            create_proxy(self._guard(self._on_mutations)),
            create_proxy(self._guard(lambda _e: self._on_page_visibility())),
            create_proxy(self._guard(lambda _e: self._maybe_new_page_view())),
        ]
        on_io, on_mo, self._on_visibility, self._on_route = self._proxies
        self._io = js.IntersectionObserver.new(on_io, js_object(threshold=THRESHOLDS))
        self._mo = js.MutationObserver.new(on_mo)

    # --- wiring -----------------------------------------------------------------------------

    def _guard(self, fn: Any) -> Any:
        def guarded(*args: Any) -> None:
            try:
                fn(*args)
            except Exception as exc:  # never into the page
                self._on_error(f"ad watcher error: {exc!r}")

        return guarded

    def start(self) -> None:
        self._mo.observe(
            js.document.documentElement,
            js_object(
                childList=True,
                subtree=True,
                attributes=True,
                attributeFilter=WATCHED_ATTRIBUTES,
            ),
        )
        js.document.addEventListener("visibilitychange", self._on_visibility)
        navigation = getattr(js.window, "navigation", None)
        if navigation is not None and not is_null(navigation):
            navigation.addEventListener("currententrychange", self._on_route)
        else:
            js.window.addEventListener("popstate", self._on_route)
            self._wrap_history()
        self.scan(js.document)

    def _wrap_history(self) -> None:
        """Without the Navigation API, notice pushState/replaceState: each becomes a JS
        ``Proxy`` of itself whose ``apply`` trap calls it, then notes the route change.
        No ``eval``/``new Function``: a strict CSP (no 'unsafe-eval') refuses both."""
        history = js.window.history

        def apply(target: Any, this: Any, args: Any) -> Any:
            result = js.Reflect.apply(target, this, args)  # its errors reach the page as-is
            self._on_route(None)
            return result

        trap = create_proxy(apply)
        self._proxies.append(trap)
        for name in ("pushState", "replaceState"):
            setattr(history, name, js.Proxy.new(getattr(history, name), js_object(apply=trap)))

    @property
    def watched(self) -> int:
        return len(self._states)

    # --- discovery --------------------------------------------------------------------------

    def scan(self, root: Any) -> None:
        if getattr(root, "nodeType", 0) == ELEMENT_NODE and root.matches(SELECTOR):
            self._watch(root)
        for element in root.querySelectorAll(SELECTOR):
            self._watch(element)

    def _state_of(self, element: Any) -> AdState | None:
        key = self._ids.get(element)
        return None if key is None or is_null(key) else self._states.get(int(key))

    def _watch(self, element: Any) -> None:
        impression_url = _attr(element, IMPRESSION_ATTR)
        view_url = _attr(element, VIEW_ATTR)
        state = self._state_of(element)
        if state is not None:
            if (state.impression_url, state.view_url) == (impression_url, view_url):
                return
            self._release(element)  # new URLs: a new ad in the same element
        if impression_url is None and view_url is None:
            return
        self._next_id += 1
        self._ids.set(element, self._next_id)
        visible = str(js.document.visibilityState) == "visible"
        self._states[self._next_id] = AdState(
            element, impression_url, view_url, timer=ViewTimer(page_visible=visible)
        )
        self._io.observe(element)

    def _release(self, element: Any) -> None:
        key = self._ids.get(element)
        if key is None or is_null(key):
            return
        self._io.unobserve(element)
        self._ids.delete(element)
        state = self._states.pop(int(key), None)
        if state is not None:
            state.token += 1

    def _release_subtree(self, node: Any) -> None:
        if getattr(node, "nodeType", 0) != ELEMENT_NODE or node.isConnected:
            return  # moved, not removed: its state stays
        self._release(node)
        for element in node.querySelectorAll(SELECTOR):
            self._release(element)

    def _on_mutations(self, records: Any, _observer: Any = None) -> None:
        recheck = False
        for record in records:
            if record.type == "childList":
                for node in record.removedNodes:
                    self._release_subtree(node)
                for node in record.addedNodes:
                    if getattr(node, "nodeType", 0) == ELEMENT_NODE and node.isConnected:
                        self.scan(node)
            elif record.attributeName in (IMPRESSION_ATTR, VIEW_ATTR):
                self._watch(record.target)
            else:
                recheck = True
        if recheck:
            self._recheck_impressions()

    # --- impressions ------------------------------------------------------------------------

    def _on_intersections(self, entries: Any, _observer: Any = None) -> None:
        now = self._now()
        for entry in entries:
            state = self._state_of(entry.target)
            if state is None:
                continue
            state.intersecting = bool(entry.isIntersecting)
            state.ratio = float(entry.intersectionRatio) if state.intersecting else 0.0
            self._check_impression(state)
            self._update_view(state, now, ratio=state.ratio)

    def _check_impression(self, state: AdState) -> None:
        if state.impression_url is None or state.impressed or not state.intersecting:
            return
        if impression_due(painted(state.element), state.intersecting):
            state.impressed = True
            self._tracker.track_impression(state.impression_url)
        elif not state.rechecking:
            state.rechecking = True  # e.g. a CSS transition or content-visibility: look again
            token = state.token
            js.setTimeout(create_once_callable(lambda: self._recheck(state, token)), RECHECK_MS)

    def _recheck(self, state: AdState, token: int) -> None:
        state.rechecking = False
        if token == state.token and state.element.isConnected:
            self._check_impression(state)

    def _recheck_impressions(self) -> None:
        for state in list(self._states.values()):
            if state.intersecting and not state.impressed:
                self._check_impression(state)

    # --- views --------------------------------------------------------------------------------

    def _update_view(self, state: AdState, now: float, **change: Any) -> None:
        if state.view_url is None or state.viewed:
            return
        state.timer = update(state.timer, now, **change)
        remaining = state.timer.remaining(now)
        state.token += 1
        if remaining is not None:
            token = state.token
            js.setTimeout(
                create_once_callable(lambda: self._view_due(state, token)),
                int(remaining * 1000) + 1,
            )

    def _view_due(self, state: AdState, token: int) -> None:
        if token != state.token or state.viewed or state.view_url is None:
            return
        if state.timer.reached(self._now()) and state.element.isConnected:
            state.viewed = True
            self._tracker.track_view(state.view_url)

    def _on_page_visibility(self) -> None:
        visible = str(js.document.visibilityState) == "visible"
        now = self._now()
        for state in list(self._states.values()):
            self._update_view(state, now, page_visible=visible)

    # --- page views -------------------------------------------------------------------------

    @staticmethod
    def _location_key() -> str:
        return f"{js.location.pathname}{js.location.search}"

    def _maybe_new_page_view(self) -> None:
        key = self._location_key()
        if key == self._page_key:
            return  # a hash change or a replaceState of the same URL
        self._page_key = key
        self._tracker.new_page_view()
        visible = str(js.document.visibilityState) == "visible"
        for state in list(self._states.values()):
            state.token += 1
            state.impressed = state.viewed = False
            state.timer = ViewTimer(page_visible=visible)
            self._io.unobserve(state.element)
            self._io.observe(state.element)  # a fresh entry re-evaluates it
        self.scan(js.document)

    @staticmethod
    def _now() -> float:
        return float(js.Date.now()) / 1000.0
