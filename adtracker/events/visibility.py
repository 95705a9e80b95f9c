"""The view rule (pure, driven by an injected clock).

- View: at least ``VIEW_RATIO`` of the ad's own area is in the viewport for
  ``VIEW_SECONDS``. The timer pauses while the tab is hidden and restarts from zero
  when the ad drops below the ratio.

The impression rule needs the DOM, so it lives at the edge (``adtracker.browser.ads``): the
ad is *painted* (not ``display:none``/``visibility:hidden`` on it or an ancestor, not
zero-sized, not inside a closed ``<details>``, not skipped by ``content-visibility``) and
at least part of it is in the viewport.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

VIEW_RATIO = 0.5
VIEW_SECONDS = 1.0
#: An ad in the viewport but not painted yet (a CSS transition, ``content-visibility``) is
#: looked at again after this long (the watcher, and the JS loader before Python runs).
PAINT_RECHECK_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class ViewTimer:
    """Time accumulated towards a view. ``since`` is set while the clock runs."""

    accumulated: float = 0.0
    since: float | None = None
    in_view: bool = False
    page_visible: bool = True

    def elapsed(self, now: float) -> float:
        running = now - self.since if self.since is not None else 0.0
        return self.accumulated + max(running, 0.0)

    def reached(self, now: float) -> bool:
        return self.elapsed(now) >= VIEW_SECONDS

    def remaining(self, now: float) -> float | None:
        """Seconds until a view, if the clock is running; None when it is stopped."""
        if self.since is None:
            return None
        return max(VIEW_SECONDS - self.elapsed(now), 0.0)


def update(timer: ViewTimer, now: float, *, ratio: float | None = None,
           page_visible: bool | None = None) -> ViewTimer:  # fmt: skip
    """The timer after the ad's visible ratio or the page's visibility changed."""
    in_view = timer.in_view if ratio is None else ratio >= VIEW_RATIO
    visible = timer.page_visible if page_visible is None else page_visible
    accumulated = timer.elapsed(now)
    if not in_view:
        accumulated = 0.0  # dropped below the ratio: restart
    running = in_view and visible
    return replace(
        timer,
        accumulated=accumulated,
        since=now if running else None,
        in_view=in_view,
        page_visible=visible,
    )
