"""Impressions and views of the ads in the page: one IntersectionObserver.

:class:`~adtracker.browser.discovery.AdFinder` tells the watcher which elements are ads
(``watch``/``release``); the watcher keeps each ad's state and reports an impression
or a view through callbacks, timed by the core's Clock and Scheduler ports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import js
from pyodide.ffi import create_proxy

from adtracker.base.ports import Clock, Scheduler
from adtracker.browser.ffi import guarded, is_element, is_null, js_object
from adtracker.browser.markup import IMPRESSION_ATTR, VIEW_ATTR
from adtracker.browser.shadow import composed_parent
from adtracker.events.visibility import PAINT_RECHECK_SECONDS, VIEW_RATIO, ViewTimer, update

THRESHOLDS = [0, VIEW_RATIO, 1]  # the loader's pre-boot observer uses the same
TIMER_SLACK_SECONDS = 0.001  # a view timer fires just after the second is complete


def _attr(element: Any, name: str) -> str | None:
    value = element.getAttribute(name)
    return None if is_null(value) else str(value)


def painted(element: Any) -> bool:
    """Rendered with a non-empty box: not display:none / visibility:hidden (itself or an
    ancestor, across shadow roots), not zero-sized, not in a closed <details>, not
    skipped by content-visibility."""
    if hasattr(element, "checkVisibility"):
        options = js_object(contentVisibilityAuto=True, visibilityProperty=True)
        if not element.checkVisibility(options):
            return False
    else:  # older browsers: walk the ancestors
        node = element
        while node is not None and is_element(node):
            style = js.window.getComputedStyle(node)
            if style.display == "none" or style.visibility == "hidden":
                return False
            node = composed_parent(node)
    rect = element.getBoundingClientRect()
    return rect.width > 0 and rect.height > 0


def _page_visible() -> bool:
    return str(js.document.visibilityState) == "visible"


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
    """Decides when each watched ad has an impression and a view."""

    def __init__(
        self,
        *,
        on_impression: Callable[[str], object],
        on_view: Callable[[str], object],
        clock: Clock,
        scheduler: Scheduler,
        on_error: Callable[[str], None],
    ) -> None:
        self._states: dict[int, AdState] = {}
        self._counted: set[tuple[str, str]] = set()  # (event type, URL) decided before boot
        self._ids = js.WeakMap.new()  # element -> key in _states
        self._next_id = 0
        self._on_impression = on_impression
        self._on_view = on_view
        self._clock = clock
        self._scheduler = scheduler
        self._on_error = on_error
        on_io = create_proxy(guarded(self._on_intersections, on_error, "ad watcher"))
        self._io = js.IntersectionObserver.new(on_io, js_object(threshold=THRESHOLDS))
        self._on_visibility = create_proxy(
            guarded(lambda *_: self._on_page_visibility(), on_error, "ad watcher")
        )

    def start(self) -> None:
        js.document.addEventListener("visibilitychange", self._on_visibility)

    def _later(self, seconds: float, fn: Callable[[], None]) -> None:
        self._scheduler.later(seconds, guarded(fn, self._on_error, "ad watcher"))

    # --- which elements -----------------------------------------------------------------

    def state_of(self, element: Any) -> AdState | None:
        """The watcher's state of ``element``, if it watches it."""
        key = self._ids.get(element)
        return None if is_null(key) else self._states.get(int(key))

    def states(self) -> list[AdState]:
        """Every ad watched now."""
        return list(self._states.values())

    def watch(self, element: Any) -> None:
        """Look after ``element`` (again: new URLs in the same element are a new ad)."""
        impression_url = _attr(element, IMPRESSION_ATTR)
        view_url = _attr(element, VIEW_ATTR)
        state = self.state_of(element)
        if state is not None:
            if (state.impression_url, state.view_url) == (impression_url, view_url):
                return
            self.release(element)
        if impression_url is None and view_url is None:
            return
        self._next_id += 1
        self._ids.set(element, self._next_id)
        state = AdState(
            element, impression_url, view_url, timer=ViewTimer(page_visible=_page_visible())
        )
        self._states[self._next_id] = state
        self._mark_counted(state)
        self._io.observe(element)

    def already_counted(self, decided: set[tuple[str, str]]) -> None:
        """Impressions and views of this page view that the loader's observations already
        gave (``Tracker.take_over``): the watcher does not count them again."""
        self._counted |= decided
        for state in self._states.values():
            self._mark_counted(state)

    def _mark_counted(self, state: AdState) -> None:
        state.impressed |= ("impression", state.impression_url or "") in self._counted
        state.viewed |= ("view", state.view_url or "") in self._counted

    def release(self, element: Any) -> None:
        """Forget ``element`` (it left the DOM)."""
        key = self._ids.get(element)
        if is_null(key):
            return
        self._io.unobserve(element)
        self._ids.delete(element)
        state = self._states.pop(int(key), None)
        if state is not None:
            state.token += 1

    def new_page_view(self) -> None:
        """A new page view: every ad may count again."""
        visible = _page_visible()
        self._counted.clear()
        for state in list(self._states.values()):
            state.token += 1
            state.impressed = state.viewed = False
            state.timer = ViewTimer(page_visible=visible)
            self._io.unobserve(state.element)
            self._io.observe(state.element)  # a fresh entry re-evaluates it

    # --- impressions ------------------------------------------------------------------------

    def _on_intersections(self, entries: Any, _observer: Any = None) -> None:
        now = self._clock.now()
        for entry in entries:
            state = self.state_of(entry.target)
            if state is None:
                continue
            state.intersecting = bool(entry.isIntersecting)
            state.ratio = float(entry.intersectionRatio) if state.intersecting else 0.0
            self._check_impression(state)
            self._update_view(state, now, ratio=state.ratio)

    def _check_impression(self, state: AdState) -> None:
        if state.impression_url is None or state.impressed or not state.intersecting:
            return
        if painted(state.element):
            state.impressed = True
            self._on_impression(state.impression_url)
        elif not state.rechecking:
            state.rechecking = True  # e.g. a CSS transition or content-visibility: look again
            token = state.token
            self._later(PAINT_RECHECK_SECONDS, lambda: self._recheck(state, token))

    def _recheck(self, state: AdState, token: int) -> None:
        state.rechecking = False
        if token == state.token and state.element.isConnected:
            self._check_impression(state)

    def recheck_impressions(self) -> None:
        """A style-like change: an intersecting ad may be painted now."""
        for state in list(self._states.values()):
            if state.intersecting and not state.impressed:
                self._check_impression(state)

    # --- views --------------------------------------------------------------------------------

    def _update_view(self, state: AdState, now: float, **change: Any) -> None:
        if state.view_url is None or state.viewed:
            return
        state.timer = update(state.timer, now, **change)
        state.token += 1
        self._arm_view_timer(state, now)

    def _arm_view_timer(self, state: AdState, now: float) -> None:
        remaining = state.timer.remaining(now)
        if remaining is not None:
            token = state.token
            self._later(remaining + TIMER_SLACK_SECONDS, lambda: self._view_due(state, token))

    def _view_due(self, state: AdState, token: int) -> None:
        if token != state.token or state.viewed or state.view_url is None:
            return
        now = self._clock.now()
        if not state.timer.reached(now):
            self._arm_view_timer(state, now)  # the timer fired a little early
        elif state.element.isConnected:
            state.viewed = True
            self._on_view(state.view_url)

    def _on_page_visibility(self) -> None:
        visible = _page_visible()
        now = self._clock.now()
        for state in list(self._states.values()):
            self._update_view(state, now, page_visible=visible)
