"""The QA overlay in the page (``data-debug="overlay"``, ``?adtracker-debug=overlay``).

Python gathers the facts: the tracker's decisions (the same records as the console
lines), the watcher's state of each ad, the outbox and consent. The core's board
(``adtracker.overlay.board``) words them, and ``overlay.mjs``, imported from the runtime
folder only when the overlay is on, draws them: one fixed layer with
``pointer-events: none`` in a shadow root of its own. When the overlay is off, none of
this runs: no module, no DOM, no timer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import to_js

from adtracker.base.decisions import Decision
from adtracker.base.ports import Clock, Scheduler
from adtracker.browser.ads import AdState, AdWatcher
from adtracker.browser.discovery import AdFinder
from adtracker.browser.ffi import guarded, is_null
from adtracker.browser.markup import CLICK_ATTR, CLICK_SELECTOR
from adtracker.browser.shadow import deep_select
from adtracker.overlay.board import AdFacts, Board
from adtracker.tracker import Tracker

#: The overlay's host element carries this attribute (for people and tests to find it).
OVERLAY_ATTR = "data-adtracker-overlay"
#: How often the labels are worded again (view timers and dedup countdowns move); the
#: drawing code places them on every animation frame.
REFRESH_SECONDS = 0.25


def _facts(element: Any, state: AdState | None, click_url: str | None) -> AdFacts:
    name = str(element.id or "")
    if state is None:
        return AdFacts(name=name, click_url=click_url)
    return AdFacts(
        name=name,
        click_url=click_url,
        impression_url=state.impression_url,
        view_url=state.view_url,
        in_viewport=state.intersecting,
        impressed=state.impressed,
        viewed=state.viewed,
        timer=state.timer,
    )


class PageOverlay:
    """Keeps the board's picture of the page drawn while the tracker runs."""

    def __init__(
        self,
        tracker: Tracker,
        watcher: AdWatcher,
        finder: AdFinder,
        load_module: Callable[[], Any],
        clock: Clock,
        scheduler: Scheduler,
        on_error: Callable[[str], None],
    ) -> None:
        self._tracker = tracker
        self._watcher = watcher
        self._finder = finder
        self._load_module = load_module
        self._clock = clock
        self._scheduler = scheduler
        self._on_error = on_error
        offset = -int(js.Date.new().getTimezoneOffset())  # the shopper's wall clock
        self._board = Board(utc_offset_minutes=offset)
        self._drawing: Any = None
        self._refresh = guarded(self._draw, on_error, "overlay")

    def record(self, decision: Decision) -> None:
        """Every decision the tracker reports (its observer)."""
        self._board.record(decision)

    def new_page_view(self) -> None:
        self._board.new_page_view()

    def start(self) -> None:
        """Import ``overlay.mjs`` (the loader's bridge), then draw until the page goes."""
        try:
            loading = self._load_module()
        except Exception as exc:
            self._on_error(f"overlay: cannot load overlay.mjs: {exc!r}")
            return
        loading.then(guarded(self._loaded, self._on_error, "overlay")).catch(
            guarded(self._not_loaded, self._on_error, "overlay")
        )

    def _loaded(self, module: Any) -> None:
        self._drawing = module.createOverlay(js.document, OVERLAY_ATTR)
        # Before the finder's observer sees the layer: a label moved every frame must not
        # read as a restyled page.
        self._finder.ignore(self._drawing.root)
        self._draw()

    def _not_loaded(self, error: Any) -> None:
        self._on_error(f"overlay: cannot load overlay.mjs: {error}")

    def _ads(self) -> tuple[list[Any], list[AdFacts]]:
        """Every tracked ad element, with its facts: the clickable ones (shadow roots
        included), then the watched ones that carry no click URL."""
        elements: list[Any] = []
        facts: list[AdFacts] = []
        seen = js.Set.new()
        for element in deep_select(js.document, CLICK_SELECTOR):
            url = element.getAttribute(CLICK_ATTR)
            seen.add(element)
            elements.append(element)
            state = self._watcher.state_of(element)
            facts.append(_facts(element, state, None if is_null(url) else str(url)))
        for state in self._watcher.states():
            if not seen.has(state.element):
                elements.append(state.element)
                facts.append(_facts(state.element, state, None))
        return elements, facts

    def _draw(self) -> None:
        elements, facts = self._ads()
        tracker = self._tracker
        picture = self._board.picture(
            facts,
            self._clock.now(),
            outbox=tracker.outbox_size,
            held=tracker.held_for_consent,
            consent=tracker.consent_state,
        )
        plain = to_js(picture.model_dump(), dict_converter=js.Object.fromEntries)
        self._drawing.draw(to_js(elements), plain)
        self._scheduler.later(REFRESH_SECONDS, self._refresh)
