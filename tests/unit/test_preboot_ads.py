"""What the loader saw of the ads before Python ran: the rules applied to its raw
observations (adtracker.events.preboot_ads), and the tracker's takeover of them."""
# ruff: noqa: E501  (the case tables read best one case per line)

from __future__ import annotations

import json

import pytest

from adtracker.base import keys
from adtracker.base.limits import MAX_EVENT_AGE_SECONDS
from adtracker.base.store import MemoryStorage
from adtracker.events.preboot_ads import PrebootAd, ad_events, view_at
from tests.unit.fakes import AD1, ORIGIN, T0, make_rig

IMP = ORIGIN + "/v1/beacon/impression/7c16de80-9fd2-4a7b-a652-ed6f29600d5d?pos=1"
VIEW = ORIGIN + "/v1/beacon/view/8d27ef91-a0e3-4b8c-b763-fe7a3a711e6e?pos=1"
MS = 1000.0


def ms(seconds: float) -> float:
    return (T0 + seconds) * MS


# (changes as (seconds after T0, ratio, page visible), observed until, view at or None)
VIEW_CASES = [
    ("never in view", [(0, 0.0, True)], 5, None),
    ("in view for 1 s", [(0, 0.6, True)], 5, 1.0),
    ("in view, observed for only 0.9 s", [(0, 0.6, True)], 0.9, None),
    ("in view from 0.5 s", [(0, 0.0, True), (0.5, 0.5, True)], 5, 1.5),
    ("below the ratio at 0.8 s restarts", [(0, 0.6, True), (0.8, 0.4, True), (1.0, 0.9, True)], 5, 2.0),
    ("under half the ad", [(0, 0.49, True)], 5, None),
    ("tab hidden pauses", [(0, 0.6, True), (0.4, 0.6, False), (3.0, 0.6, True)], 5, 3.6),
    ("hidden at 0.4 s and never back", [(0, 0.6, True), (0.4, 0.6, False)], 9, None),
    ("loaded hidden, then shown", [(0, 0.6, False), (2.0, 0.6, True)], 5, 3.0),
    ("out of order as stored", [(0.5, 0.5, True), (0, 0.0, True)], 5, 1.5),
    ("gone at 0.7 s (the page ended)", [(0, 0.6, True), (0.7, 0.6, False)], 0.7, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "changes", "until", "expected"), VIEW_CASES, ids=[c[0] for c in VIEW_CASES]
)
def test_the_view_rule_replayed_over_what_the_loader_saw(
    name: str, changes: list[tuple[float, float, bool]], until: float, expected: float | None
) -> None:
    raw = [(ms(t), r, v) for t, r, v in changes]
    got = view_at(raw, T0 + until)
    assert (got if got is None else round(got - T0, 6)) == expected


def ad(**fields: object) -> PrebootAd:
    return PrebootAd.model_validate({"g": "page-1", **fields})


# (the loader's record, now (seconds after T0), live, expected (type, seconds after T0))
EVENT_CASES = [
    ("painted in view: an impression at that time", ad(i=IMP, p=ms(0.2)), 3, True, [("impression", 0.2)]),
    ("never painted in view: none", ad(i=IMP, o=[[ms(0), 0.0, True]]), 3, True, []),
    ("a view URL and 1 s in view", ad(v=VIEW, o=[[ms(0), 1.0, True]]), 3, True, [("view", 1.0)]),
    ("live: observed until now", ad(v=VIEW, o=[[ms(0), 1.0, True]]), 0.6, True, []),
    ("ended at 1.5 s: both", ad(i=IMP, v=VIEW, p=ms(0), o=[[ms(0), 1.0, True], [ms(1.5), 1.0, False]], e=ms(1.5)), 60, False, [("impression", 0.0), ("view", 1.0)]),
    ("ended at 0.8 s: no view", ad(v=VIEW, o=[[ms(0), 1.0, True]], e=ms(0.8)), 60, False, []),
    ("stale, never ended: until its last change", ad(v=VIEW, o=[[ms(0), 1.0, True], [ms(0.5), 1.0, True]]), 600, False, []),
    ("gone without a pagehide, watched until 1.5 s: a view", ad(v=VIEW, o=[[ms(0), 1.0, True]], s=ms(1.5)), 60, False, [("view", 1.0)]),
    ("gone without a pagehide, watched until 0.75 s: none", ad(v=VIEW, o=[[ms(0), 1.0, True]], s=ms(0.75)), 60, False, []),
    ("a time in the future is now", ad(i=IMP, p=ms(30)), 3, True, [("impression", 3.0)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "record", "now", "live", "expected"), EVENT_CASES, ids=[c[0] for c in EVENT_CASES]
)
def test_what_each_record_gives(
    name: str, record: PrebootAd, now: float, live: bool, expected: list[tuple[str, float]]
) -> None:
    got = ad_events(record, T0 + now, live=live)
    assert [(kind, round(at - T0, 6)) for kind, _, at in got] == expected


def test_observations_are_bounded() -> None:
    with pytest.raises(ValueError):
        ad(o=[[ms(i), 1.0, True] for i in range(25)])


def stored_rig(queue: list[object], advance: float = 0.0):
    storage = MemoryStorage()
    storage.data[keys.PREBOOT] = json.dumps(queue)
    rig = make_rig(storage=storage)
    rig.clock.advance(advance)
    rig.tracker.start()
    rig.scheduler.run()
    return rig, storage


def test_a_page_left_before_ready_gives_its_impression_and_view_on_the_next_page() -> None:
    left = {"g": "page-1", "i": IMP, "v": VIEW, "p": ms(-9.8),
            "o": [[ms(-9.8), 1.0, True], [ms(-8.5), 1.0, False]], "e": ms(-8.5)}  # fmt: skip
    rig, storage = stored_rig([{"u": AD1, "t": ms(-9)}, left])
    assert sorted(s.url for s in rig.transport.sent) == sorted([AD1, IMP, VIEW])
    assert keys.PREBOOT not in storage.data
    # once: the dedup windows run from when the loader saw them
    assert rig.tracker.track_impression(IMP) == "deduplicated"
    rig.clock.advance(60 - 9.8 + 0.1)
    assert rig.tracker.track_impression(IMP) == "sent"


def test_a_page_still_open_in_another_tab_is_counted_once_between_the_two() -> None:
    """Another tab's Python takes an open page's record too: it sends the impression (the
    ad was painted in view) but not the view (watched 0.5 s so far); the open page, once
    ready, sends the view and not the impression again (the shared dedup marks)."""
    open_page = {"g": "page-2", "i": IMP, "v": VIEW, "p": ms(-0.5),
                 "o": [[ms(-0.5), 1.0, True]], "s": ms(0)}  # fmt: skip
    rig, storage = stored_rig([{"u": AD1, "t": ms(-2)}, open_page])
    assert sorted(s.url for s in rig.transport.sent) == sorted([AD1, IMP])
    assert keys.PREBOOT not in storage.data
    rig.clock.advance(1.0)  # the open page is ready 1 s later, its ad still in view
    decided = rig.tracker.take_over([open_page])
    assert decided == {("impression", IMP), ("view", VIEW)}
    assert sorted(s.url for s in rig.transport.sent) == sorted([AD1, IMP, VIEW])


def test_this_pages_record_is_decided_until_now_and_reported_back() -> None:
    rig = make_rig()
    rig.tracker.start()
    page = [{"g": "p", "i": IMP, "v": VIEW, "p": ms(-2), "o": [[ms(-2), 0.7, True]]}]
    decided = rig.tracker.take_over(page)
    assert decided == {("impression", IMP), ("view", VIEW)}
    assert rig.tracker.track_view(VIEW) == "deduplicated"  # the watcher's own, later


def test_bad_and_old_records_are_discarded_with_a_message() -> None:
    rig = make_rig(debug=True)
    rig.tracker.start()
    old = ms(-MAX_EVENT_AGE_SECONDS - 10)
    items = [{"g": ""}, {"g": "p", "p": "soon", "i": IMP}, {"g": "p", "i": IMP, "p": old}]
    assert rig.tracker.take_over(items) == set()
    rig.scheduler.run()
    text = "\n".join(rig.log.of("debug"))
    assert text.count("discarded a pre-boot ad") == 2
    assert "dropped a pre-boot impression older than 24 h" in text
