"""Durable delivery with fakes: outbox, retries, leases across tabs and reloads, consent."""

import json

from adtracker.base import keys
from adtracker.base.limits import MAX_OUTBOX_ENTRIES as OUTBOX_MAX
from adtracker.base.store import MemoryStorage
from adtracker.delivery.sender import LEASE_MARGIN_SECONDS
from tests.unit.fakes import AD1, AD2, ORIGIN, FakeClock, make_rig

LEASE_SECONDS = 10.0 + LEASE_MARGIN_SECONDS


def started(**kw):
    rig = make_rig(**kw)
    rig.tracker.start()
    rig.scheduler.run()
    return rig


def outbox(rig) -> list[dict]:
    return [json.loads(v) for k, v in rig.storage.data.items() if k.startswith(keys.OUTBOX_PREFIX)]


def test_event_is_in_the_outbox_before_dispatch_and_gone_after_2xx() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    (entry,) = outbox(rig)
    assert entry["url"] == AD1 and entry["attempts"] == 1 and entry["maybe_reached"] is True
    rig.transport.answer(0, 202)
    assert outbox(rig) == []


def test_503_then_202() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 503)
    rig.scheduler.advance(0.49)  # rand=0.5 → first retry after 0.5 s
    assert len(rig.transport.sent) == 1
    rig.scheduler.advance(0.02)
    assert len(rig.transport.sent) == 2
    rig.transport.answer(1, 503)
    rig.scheduler.advance(1.0)  # second retry after 0.5 × 2 s
    assert len(rig.transport.sent) == 3
    rig.transport.answer(2, 202)
    rig.scheduler.advance(600)
    assert len(rig.transport.sent) == 3 and outbox(rig) == []
    assert [s.body for s in rig.transport.sent] == [rig.transport.sent[0].body] * 3


def test_a_503_without_a_readable_retry_after_says_so_once() -> None:
    rig = started(debug=True)
    rig.tracker.track_click(AD1)
    rig.tracker.track_click(AD2)
    rig.transport.answer(0, 503)
    rig.transport.answer(1, 429, retry_after="30")  # readable: nothing to say
    rig.scheduler.advance(1.0)
    rig.transport.answer(2, 503)
    said = [m for m in rig.log.of("debug") if "Retry-After the tracker can read" in m]
    assert said == [
        "the collector answered 503 without a Retry-After the tracker can read: retrying with "
        "backoff instead. A cross-origin fetch sees that header only when the server also "
        "sends Access-Control-Expose-Headers: Retry-After"
    ]


def test_429_honours_retry_after() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 429, retry_after="30")
    rig.scheduler.advance(29.9)
    assert len(rig.transport.sent) == 1
    rig.scheduler.advance(0.2)
    assert len(rig.transport.sent) == 2


def test_final_4xx_is_not_retried() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 400)
    rig.scheduler.advance(3600)
    assert len(rig.transport.sent) == 1 and outbox(rig) == []


def test_retries_stop_when_a_resend_could_double_count() -> None:
    rig = started(debug=True)
    rig.tracker.track_click(AD1)
    for i in range(100):
        if len(rig.transport.sent) > i:
            rig.transport.answer(i, None, error="Failed to fetch")
        rig.scheduler.advance(300)
    sent_times = len(rig.transport.sent)
    assert 1 < sent_times < 40
    assert outbox(rig) == []
    assert rig.decisions[-1].outcome == "dropped"
    assert "double-count" in rig.decisions[-1].reason


def test_offline_events_wait_for_online_without_a_window() -> None:
    rig = started()
    rig.transport.is_online = False
    assert rig.tracker.track_click(AD1) == "queued"
    assert rig.transport.sent == []
    rig.scheduler.advance(2 * 3600)  # offline for two hours: never left, so still safe
    rig.transport.is_online = True
    rig.tracker.flush()
    assert [s.url for s in rig.transport.sent] == [AD1]


def test_a_reload_in_the_middle_of_a_retry_sends_once() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 503)
    reloaded = make_rig(storage=rig.storage, clock=rig.clock)
    reloaded.tracker.start()
    reloaded.scheduler.run()
    assert reloaded.transport.sent == []  # not due yet
    reloaded.scheduler.advance(1)
    assert [s.url for s in reloaded.transport.sent] == [AD1]
    reloaded.transport.answer(0, 202)
    assert outbox(reloaded) == []


def test_in_flight_when_the_page_died_is_resent_only_inside_the_window() -> None:
    rig = started()
    rig.tracker.track_click(AD1)  # never answered: the page unloads
    soon = make_rig(storage=rig.storage, clock=rig.clock)
    soon.tracker.start()
    assert soon.transport.sent == []  # leased to the dead page
    soon.scheduler.advance(LEASE_SECONDS + 0.1)
    assert [s.url for s in soon.transport.sent] == [AD1]

    late_clock = FakeClock(rig.clock.now() + 3600)
    storage = MemoryStorage()
    first = make_rig(storage=storage)
    first.tracker.start()
    first.tracker.track_click(AD2)
    late = make_rig(storage=storage, clock=late_clock)
    late.tracker.start()
    late.scheduler.advance(LEASE_SECONDS + 1)
    assert late.transport.sent == [] and outbox(late) == []


def test_two_tabs_never_send_the_same_event_twice() -> None:
    storage = MemoryStorage()
    clock = FakeClock()
    a = make_rig(storage=storage, clock=clock)
    b = make_rig(storage=storage, clock=clock)
    a.tracker.start()
    b.tracker.start()
    assert a.tracker.identity == b.tracker.identity
    assert a.tracker.track_click(AD1) == "sent"
    a.scheduler.run()  # tab a's deferred work runs long before a human clicks in tab b
    assert b.tracker.track_click(AD1) == "deduplicated"
    b.tracker.flush()  # b must not resend a's in-flight event
    assert len(b.transport.sent) == 0
    a.transport.answer(0, 503)
    a.scheduler.advance(0.5)
    b.tracker.flush()
    assert len(a.transport.sent) + len(b.transport.sent) == 2  # one retry, by one tab


def test_outbox_is_bounded_under_permanent_failure() -> None:
    rig = started(debug=True)
    for i in range(OUTBOX_MAX + 30):
        rig.tracker.track_click(f"{ORIGIN}/v1/beacon/click/ad-{i}")
        rig.transport.answer(i, 503)
        rig.scheduler.run()
    assert len(outbox(rig)) <= OUTBOX_MAX
    assert any(d.outcome == "dropped" and "full" in d.reason for d in rig.decisions)


def test_consent_pending_stores_and_sends_nothing_until_granted() -> None:
    rig = started(consent="pending")
    assert rig.tracker.track_click(AD1) == "queued"
    assert rig.tracker.track_click(AD2) == "queued"
    assert rig.storage.data == {} and rig.transport.sent == []
    assert rig.tracker.identity is None
    rig.tracker.consent("granted")
    assert [s.url for s in rig.transport.sent] == [AD1, AD2]
    assert keys.IDS in rig.storage.data


def test_consent_denied_clears_every_key_and_stops() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.storage.data["other:key"] = "host data stays"
    rig.tracker.consent("denied")
    assert rig.storage.data == {"other:key": "host data stays"}
    assert rig.tracker.track_click(AD2) == "refused"
    rig.transport.answer(0, 503)  # a late answer must not write anything back
    rig.scheduler.advance(60)
    assert rig.storage.data == {"other:key": "host data stays"}
    assert len(rig.transport.sent) == 1


def test_bad_consent_value_is_an_error_not_an_exception() -> None:
    rig = started()
    assert rig.tracker.consent("maybe") is False
    assert rig.tracker.consent_state == "granted"
    assert any("consent must be" in m for m in rig.log.of("error"))
