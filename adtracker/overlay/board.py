"""What the QA overlay says beside each tracked ad, and at the corner of the page.

The words come from the tracker's own records: every :class:`Decision` it reports (the
same records as the debug console lines) and the watcher's state of each ad (in the
viewport, counted, its view timer). The board keeps the latest decision per event and
turns those facts into one :class:`Picture`, the one model that crosses to the drawing
code (``web/src/runtime/overlay.mjs``), which only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from adtracker.base.decisions import Decision
from adtracker.base.vocabulary import Consent, EventType, Outcome, UrlEventType
from adtracker.events.visibility import VIEW_RATIO, VIEW_SECONDS, ViewTimer

#: How a line is drawn: its colour, and what a test reads.
Tone = Literal["idle", "busy", "good", "warn", "bad"]

#: Each outcome's tone (vocabulary.Outcome lists what they mean).
OUTCOME_TONES: dict[Outcome, Tone] = {
    "sent": "busy",
    "queued": "busy",
    "delivered": "good",
    "rejected": "bad",
    "failed": "warn",
    "dropped": "bad",
    "deduplicated": "warn",
    "refused": "bad",
    "identified": "good",
    "ignored": "idle",
}


class Line(BaseModel):
    """One event kind of one ad: ``click delivered (HTTP 202)``."""

    kind: UrlEventType
    outcome: Outcome | None = Field(description="the latest decision's outcome, if any")
    tone: Tone
    text: str


class Label(BaseModel):
    """What is drawn beside one ad element: a line per kind it carries."""

    ad: str = Field(description="the element's id, if it has one (for people and tests)")
    lines: list[Line]


class Picture(BaseModel):
    """Everything the overlay draws at one moment: the labels (in the order of the
    elements handed over with them) and the corner's summary."""

    labels: list[Label]
    summary: list[str]
    summary_tone: Tone


@dataclass(frozen=True, slots=True)
class AdFacts:
    """What the watcher knows of one ad element (None: the element has no such URL)."""

    name: str = ""  # the element's id
    click_url: str | None = None
    impression_url: str | None = None
    view_url: str | None = None
    in_viewport: bool = False
    impressed: bool = False
    viewed: bool = False
    timer: ViewTimer | None = None


def clock_time(epoch: float, utc_offset_minutes: int) -> str:
    """``epoch`` as the shopper's wall-clock time, ``HH:MM:SS``."""
    local = datetime.fromtimestamp(epoch, UTC) + timedelta(minutes=utc_offset_minutes)
    return local.strftime("%H:%M:%S")


def duration(seconds: float) -> str:
    """A countdown: ``29:48``, or ``1:02:03`` past an hour."""
    whole = max(int(seconds + 0.999), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def decided_line(decision: Decision, now: float, utc_offset_minutes: int) -> Line:
    """A line from the latest decision on an event."""
    kind = decision.type
    assert kind != "conversion"  # conversions have no ad element
    detail = decision.reason
    if decision.outcome == "deduplicated" and decision.until is not None:
        left = decision.until - now
        until = clock_time(decision.until, utc_offset_minutes)
        detail = f"until {until}, {duration(left)} left" if left > 0 else f"until {until}, over"
    text = f"{kind} {decision.outcome}" + (f": {detail}" if detail else "")
    outcome = decision.outcome
    return Line(kind=kind, outcome=outcome, tone=OUTCOME_TONES[outcome], text=text)


def undecided_line(kind: UrlEventType, ad: AdFacts, now: float) -> Line:
    """A line for an event the tracker has not decided on yet: why not, from the ad's state."""
    tone: Tone = "idle"
    if kind == "click":
        text = "click: not clicked yet"
    elif kind == "impression":
        if ad.impressed:
            text, tone = "impression counted", "good"  # e.g. by the loader, before ready
        elif ad.in_viewport:
            text, tone = "impression: in the viewport, not painted yet", "busy"
        else:
            text = "impression: not in the viewport yet"
    elif ad.viewed:
        text, tone = "view counted", "good"
    elif ad.timer is not None and ad.timer.since is not None:
        text = f"view timer: {ad.timer.elapsed(now):.1f} s of {VIEW_SECONDS:g} s"
        tone = "busy"
    elif ad.timer is not None and ad.timer.in_view:
        text = "view timer paused: the tab is hidden"
    else:
        text = f"view: waits for {VIEW_RATIO:.0%} of the ad in view for {VIEW_SECONDS:g} s"
    return Line(kind=kind, outcome=None, tone=tone, text=text)


def summary(outbox: int, held: int, consent: Consent, ads: int) -> tuple[list[str], Tone]:
    """The corner's lines: how many ads, where events wait, and consent."""
    lines = [f"adtracker: {ads} ad element{'s' if ads != 1 else ''} tracked"]
    tone: Tone = "good"
    if outbox:
        lines.append(f"outbox: {outbox} event{'s' if outbox != 1 else ''} waiting or in flight")
        tone = "warn"
    if consent == "pending":
        lines.append(f"consent pending: {held} event{'s' if held != 1 else ''} held, none sent")
        tone = "warn"
    elif consent == "denied":
        lines.append("consent denied: nothing is stored or sent")
        tone = "bad"
    return lines, tone


class Board:
    """The latest decision on each (event type, URL), and the picture made from them."""

    def __init__(self, utc_offset_minutes: int = 0) -> None:
        self._latest: dict[tuple[EventType, str], Decision] = {}
        self._utc_offset = utc_offset_minutes

    def record(self, decision: Decision) -> None:
        """A decision the tracker reported (conversions and platform events have no ad)."""
        if decision.type != "conversion":
            self._latest[(decision.type, decision.url)] = decision

    def new_page_view(self) -> None:
        """A route change: impressions and views count afresh; clicks keep their windows."""
        self._latest = {k: d for k, d in self._latest.items() if k[0] == "click"}

    def label(self, ad: AdFacts, now: float) -> Label:
        lines = []
        urls: tuple[tuple[UrlEventType, str | None], ...] = (
            ("click", ad.click_url),
            ("impression", ad.impression_url),
            ("view", ad.view_url),
        )
        for kind, url in urls:
            if url is None:
                continue
            decision = self._latest.get((kind, url))
            if decision is None:
                lines.append(undecided_line(kind, ad, now))
            else:
                lines.append(decided_line(decision, now, self._utc_offset))
        return Label(ad=ad.name, lines=lines)

    def picture(
        self, ads: list[AdFacts], now: float, *, outbox: int, held: int, consent: Consent
    ) -> Picture:
        lines, tone = summary(outbox, held, consent, len(ads))
        labels = [self.label(ad, now) for ad in ads]
        return Picture(labels=labels, summary=lines, summary_tone=tone)
