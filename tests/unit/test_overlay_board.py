"""The QA overlay's words (adtracker/overlay/board.py): table-driven, and fed by a real
tracker's decisions on fakes, as the browser edge feeds it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from adtracker.base.decisions import Decision
from adtracker.base.vocabulary import OUTCOMES
from adtracker.events.visibility import ViewTimer
from adtracker.overlay.board import (
    OUTCOME_TONES,
    AdFacts,
    Board,
    Picture,
    clock_time,
    decided_line,
    duration,
    summary,
    undecided_line,
)
from tests.unit.fakes import AD1, AD2, T0, make_rig
from tests.unit.test_responses import AJV_422

IMP = "https://events.newtail-media.newtail.com.br/v1/beacon/impression/abc"
VIEW = "https://events.newtail-media.newtail.com.br/v1/beacon/view/abc"


def test_every_outcome_has_a_tone() -> None:
    assert set(OUTCOME_TONES) == set(OUTCOMES)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "0:00"), (0.2, "0:01"), (59, "0:59"), (3599, "59:59"), (3600, "1:00:00"), (-5, "0:00")],
)
def test_duration(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_clock_time_is_the_shoppers_wall_clock() -> None:
    assert clock_time(0, 0) == "00:00:00"
    assert clock_time(0, -180) == "21:00:00"  # UTC-3 (São Paulo)


@pytest.mark.parametrize(
    ("decision", "now", "tone", "text"),
    [
        (Decision("click", AD1, "sent"), T0, "busy", "click sent"),
        (Decision("click", AD1, "delivered", "HTTP 202"), T0, "good", "click delivered: HTTP 202"),
        (
            Decision("click", AD1, "rejected", "HTTP 422: missing property 'user_id'"),
            T0,
            "bad",
            "click rejected: HTTP 422: missing property 'user_id'",
        ),
        (
            Decision("click", AD1, "deduplicated", "already sent in its window", until=3600),
            12,
            "warn",
            "click deduplicated: until 01:00:00, 59:48 left",
        ),
        (
            Decision("click", AD1, "deduplicated", "already sent in its window", until=3600),
            3601,
            "warn",
            "click deduplicated: until 01:00:00, over",
        ),
        (
            Decision("view", VIEW, "deduplicated", "viewed in this page view"),
            T0,
            "warn",
            "view deduplicated: viewed in this page view",
        ),
        (
            Decision("impression", IMP, "failed", "HTTP 503"),
            T0,
            "warn",
            "impression failed: HTTP 503",
        ),
        (
            Decision("impression", IMP, "queued", "waiting for consent"),
            T0,
            "busy",
            "impression queued: waiting for consent",
        ),
    ],
)
def test_a_decided_line(decision: Decision, now: float, tone: str, text: str) -> None:
    line = decided_line(decision, now, utc_offset_minutes=0)
    assert (line.kind, line.outcome, line.tone, line.text) == (
        decision.type,
        decision.outcome,
        tone,
        text,
    )


RUNNING = ViewTimer(accumulated=0.25, since=T0 - 0.5, in_view=True)
HIDDEN = ViewTimer(accumulated=0.4, since=None, in_view=True, page_visible=False)


@pytest.mark.parametrize(
    ("kind", "ad", "tone", "text"),
    [
        ("click", AdFacts(click_url=AD1), "idle", "click: not clicked yet"),
        ("impression", AdFacts(), "idle", "impression: not in the viewport yet"),
        (
            "impression",
            AdFacts(in_viewport=True),
            "busy",
            "impression: in the viewport, not painted yet",
        ),
        ("impression", AdFacts(impressed=True), "good", "impression counted"),
        (
            "view",
            AdFacts(timer=ViewTimer()),
            "idle",
            "view: waits for 50% of the ad in view for 1 s",
        ),
        ("view", AdFacts(timer=RUNNING), "busy", "view timer: 0.8 s of 1 s"),
        ("view", AdFacts(timer=HIDDEN), "idle", "view timer paused: the tab is hidden"),
        ("view", AdFacts(viewed=True), "good", "view counted"),
    ],
)
def test_an_undecided_line(kind: str, ad: AdFacts, tone: str, text: str) -> None:
    line = undecided_line(kind, ad, T0)  # type: ignore[arg-type]
    assert (line.outcome, line.tone, line.text) == (None, tone, text)


@pytest.mark.parametrize(
    ("outbox", "held", "consent", "ads", "lines", "tone"),
    [
        (0, 0, "granted", 1, ["adtracker: 1 ad element tracked"], "good"),
        (
            2,
            0,
            "granted",
            3,
            ["adtracker: 3 ad elements tracked", "outbox: 2 events waiting or in flight"],
            "warn",
        ),
        (
            0,
            1,
            "pending",
            0,
            ["adtracker: 0 ad elements tracked", "consent pending: 1 event held, none sent"],
            "warn",
        ),
        (
            0,
            0,
            "denied",
            2,
            ["adtracker: 2 ad elements tracked", "consent denied: nothing is stored or sent"],
            "bad",
        ),
    ],
)
def test_the_summary(
    outbox: int, held: int, consent: str, ads: int, lines: list[str], tone: str
) -> None:
    assert summary(outbox, held, consent, ads) == (lines, tone)  # type: ignore[arg-type]


def test_a_label_has_a_line_per_kind_the_ad_carries_the_latest_decision_first() -> None:
    board = Board()
    board.record(Decision("impression", IMP, "sent"))
    board.record(Decision("impression", IMP, "delivered", "HTTP 202"))
    board.record(Decision("conversion", "https://c.example/conv", "sent"))  # no ad: ignored
    label = board.label(AdFacts(name="ad-1", click_url=AD1, impression_url=IMP), T0)
    assert label.ad == "ad-1"
    assert [(line.kind, line.text) for line in label.lines] == [
        ("click", "click: not clicked yet"),
        ("impression", "impression delivered: HTTP 202"),
    ]


def test_a_new_page_view_forgets_impressions_and_views_but_not_clicks() -> None:
    board = Board()
    for kind, url in (("click", AD1), ("impression", IMP), ("view", VIEW)):
        board.record(Decision(kind, url, "delivered", "HTTP 202"))  # type: ignore[arg-type]
    board.new_page_view()
    ad = AdFacts(click_url=AD1, impression_url=IMP, view_url=VIEW, timer=ViewTimer())
    assert [line.outcome for line in board.label(ad, T0).lines] == ["delivered", None, None]


def test_the_board_fed_by_a_tracker_shows_a_dedup_until_when_and_a_422() -> None:
    rig = make_rig(consent="granted")
    rig.tracker.start()
    rig.scheduler.run()
    board = Board()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 202)
    rig.clock.advance(60)
    rig.tracker.track_click(AD1)  # a second click: deduplicated
    rig.tracker.track_click(AD2)
    rig.transport.answer(1, 422, AJV_422)
    rig.scheduler.run()
    for decision in rig.decisions:
        board.record(decision)
    picture = board.picture(
        [AdFacts(click_url=AD1), AdFacts(click_url=AD2)],
        rig.clock.now(),
        outbox=rig.tracker.outbox_size,
        held=rig.tracker.held_for_consent,
        consent=rig.tracker.consent_state,
    )
    first, second = (label.lines[0] for label in picture.labels)
    until = clock_time(T0 + 3600, 0)
    assert first.text == f"click deduplicated: until {until}, 59:00 left"
    assert second.outcome == "rejected" and "missing property 'user_id'" in second.text
    assert picture.summary == ["adtracker: 2 ad elements tracked"]
    assert Picture.model_validate_json(picture.model_dump_json()) == picture


def test_the_summary_counts_the_outbox_and_what_consent_holds() -> None:
    rig = make_rig(consent="pending")
    rig.tracker.start()
    rig.tracker.track_click(AD1)
    assert (rig.tracker.held_for_consent, rig.tracker.outbox_size) == (1, 0)
    rig.tracker.consent("granted")
    rig.scheduler.run()
    assert (rig.tracker.held_for_consent, rig.tracker.outbox_size) == (0, 1)  # in flight


def test_a_dedup_decision_says_until_when_on_the_console() -> None:
    decision = Decision("click", AD1, "deduplicated", "already sent in its window", until=3600)
    assert decision.message().endswith(
        "(already sent in its window, until 1970-01-01 01:00:00 UTC)"
    )


def test_the_browser_edge_imports_the_overlay_only_when_it_is_on() -> None:
    """Off, the overlay costs nothing: boot.py's module-level imports (outside its
    TYPE_CHECKING block) do not name it; start() imports it when the config asks."""
    boot = Path(__file__).resolve().parents[2] / "adtracker/browser/boot.py"
    tree = ast.parse(boot.read_text(encoding="utf-8"))
    top = [n.module for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert top and not [m for m in top if m and "overlay" in m], top
    inner = [
        n.module
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module == "adtracker.browser.overlay"
    ]
    assert len(inner) == 2  # the TYPE_CHECKING import, and start()'s
