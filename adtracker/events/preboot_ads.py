"""What the JS loader saw of the ads before Python ran, and the impressions and views
that follow from it under the usual rules.

The loader (``web/src/observe.js``) decides nothing. For each element carrying an
impression or a view URL it records raw observations (one :class:`PrebootAd`, in the
pre-boot queue ``adtracker:preboot`` beside the clicks):

- ``p``: when it was first seen intersecting the viewport *and* painted (the impression
  rule's two facts, ``adtracker.browser.ads``);
- ``o``: each change of its visible ratio or of the page's visibility, as
  ``[epoch ms, ratio, page visible]``: the view rule (``events.visibility``) is
  replayed over them here;
- ``s``: until when it watched (each write's time: while an ad is in view the loader
  writes every ``PREBOOT_WRITE_SECONDS``), so a page that went without a ``pagehide``
  that landed still tells how long its ads were seen;
- ``e``: when the page ended (``pagehide``).

Any page of the store that starts takes the whole stored queue, the records of a page
still open in another tab included: that page writes its records back at its next write
(or hands them to its own Python), and the dedup marks keep what one page sent from being
sent again by another. A page's record is replayed until ``e``, else until ``s``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from adtracker.base.limits import MAX_PREBOOT_CHANGES, MAX_URL_CHARS
from adtracker.base.vocabulary import UrlEventType
from adtracker.events.visibility import VIEW_SECONDS, ViewTimer, update

#: One change the loader observed: (epoch ms, visible ratio of the ad, page visible).
Change = tuple[float, float, bool]


class PrebootAd(BaseModel):
    """One ad element the JavaScript loader watched before Python was ready."""

    model_config = ConfigDict(extra="ignore")

    g: str = Field(min_length=1, max_length=64, description="the page view it was seen in")
    i: str | None = Field(None, max_length=MAX_URL_CHARS, description="data-ad-impression-url")
    v: str | None = Field(None, max_length=MAX_URL_CHARS, description="data-ad-view-url")
    p: float | None = Field(None, ge=0, description="first intersecting and painted, epoch ms")
    o: list[Change] = Field(default_factory=list, max_length=MAX_PREBOOT_CHANGES)
    s: float | None = Field(None, ge=0, description="observed until, epoch ms")
    e: float | None = Field(None, ge=0, description="the page ended, epoch ms")


def view_at(changes: list[Change], end: float) -> float | None:
    """When the view rule is met over ``changes`` (seconds), observed until ``end``.

    The timer starts stopped (nothing in view); each change is applied at its time, as
    the live watcher applies an IntersectionObserver entry or a visibilitychange."""
    timer = ViewTimer()

    def due(timer: ViewTimer, now: float) -> float | None:
        if timer.since is None or not timer.reached(now):
            return None
        return timer.since + VIEW_SECONDS - timer.accumulated

    for ms, ratio, visible in sorted(changes):
        at = ms / 1000.0
        if (when := due(timer, at)) is not None:
            return when
        timer = update(timer, at, ratio=ratio, page_visible=visible)
    return due(timer, end)


def newest(ad: PrebootAd) -> float:
    """The latest time in ``ad`` (seconds)."""
    times = [ad.p or 0.0, ad.s or 0.0, ad.e or 0.0, *(ms for ms, _, _ in ad.o)]
    return max(times) / 1000.0


def ad_events(ad: PrebootAd, now: float, *, live: bool) -> list[tuple[UrlEventType, str, float]]:
    """(event type, URL, time in seconds) the rules give for what the loader saw.

    ``live``: the ad's page is this one, still open, so the observation runs until
    ``now``; otherwise it ran until the page ended (or until its last observation)."""
    out: list[tuple[UrlEventType, str, float]] = []
    if ad.i is not None and ad.p is not None:
        out.append(("impression", ad.i, min(ad.p / 1000.0, now)))
    if ad.v is not None:
        if live:
            end = now
        elif ad.e is not None:
            end = ad.e / 1000.0
        else:
            end = newest(ad)
        when = view_at(ad.o, min(end, now))
        if when is not None:
            out.append(("view", ad.v, min(when, now)))
    return out
