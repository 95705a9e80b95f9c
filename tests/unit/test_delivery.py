"""Durable delivery with fakes: outbox, retries, leases across tabs and reloads, consent."""

import json

from adtracker.base import keys
from adtracker.base.limits import LEASE_MARGIN_SECONDS, MAX_IN_FLIGHT
from adtracker.base.limits import MAX_OUTBOX_ENTRIES as OUTBOX_MAX
from adtracker.base.store import MemoryStorage
from adtracker.delivery import recovery
from adtracker.delivery.outbox import OutboxEntry
from tests.unit.fakes import AD1, AD2, ORIGIN, FakeClock, make_rig

LEASE_SECONDS = 10.0 + LEASE_MARGIN_SECONDS


def started(**kw):
    rig = make_rig(**kw)
    rig.tracker.start()
    rig.scheduler.run()
    return rig


def outbox(rig) -> list[dict]:
    return [json.loads(v) for k, v in rig.storage.data.items() if k.startswith(keys.OUTBOX_PREFIX)]


def test_a_new_event_leaves_first_is_in_the_outbox_after_its_task_and_gone_after_2xx() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    assert len(rig.transport.sent) == 1 and outbox(rig) == []  # the request left first
    rig.scheduler.run()  # the click's task is over (the browser also runs it on pagehide)
    (entry,) = outbox(rig)
    assert entry["url"] == AD1 and entry["attempts"] == 1 and entry["maybe_reached"] is True
    assert entry["lease_until"] > 0
    rig.transport.answer(0, 202)
    assert outbox(rig) == []


def test_an_answer_before_the_entry_is_written_still_retries_it() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 503)  # before the scheduler wrote the entry
    (entry,) = outbox(rig)
    assert entry["attempts"] == 1 and entry["lease_until"] == 0.0
    rig.scheduler.advance(1.0)
    assert len(rig.transport.sent) == 2
    rig.transport.answer(1, 202)
    rig.scheduler.run()
    assert outbox(rig) == []


def test_an_answer_before_the_entry_is_written_leaves_nothing_behind() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 202)
    rig.scheduler.run()
    assert outbox(rig) == []


def test_consent_denied_before_the_entry_is_written_stores_nothing() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.tracker.consent("denied")
    rig.scheduler.run()
    assert outbox(rig) == [] and not any(k.startswith(keys.PREFIX) for k in rig.storage.data)


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
    rig.scheduler.run()  # pagehide runs what was deferred: the entry is stored, leased
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


# --- when the server is back (delivery/recovery.py) -------------------------------------------


def waiting(rig) -> dict[str, float]:
    """next_at of each waiting entry, by URL."""
    return {e["url"]: e["next_at"] for e in outbox(rig) if e["lease_until"] <= rig.clock.now()}


def fail_many_times(rig, url: str, times: int) -> None:
    """``url`` fails ``times`` times in a row (its backoff grows to minutes)."""
    rig.tracker.track_click(url)
    for _ in range(times):
        rig.transport.answer(len(rig.transport.sent) - 1, 503)
        rig.scheduler.advance(max(waiting(rig)[url] - rig.clock.now(), 0) + 0.01)


def test_the_first_answer_after_an_outage_brings_the_waiting_events_forward() -> None:
    rig = started()
    fail_many_times(rig, AD1, 9)  # its next wait: up to 256 s (0.5 × 2^8 = 128 s here)
    rig.transport.answer(len(rig.transport.sent) - 1, 503)
    assert waiting(rig)[AD1] - rig.clock.now() > 100
    rig.tracker.track_click(AD2)  # a new event; the server is back
    rig.transport.answer(len(rig.transport.sent) - 1, 202)
    assert waiting(rig)[AD1] - rig.clock.now() <= recovery.MAX_SPREAD_SECONDS
    rig.scheduler.advance(recovery.MAX_SPREAD_SECONDS)
    assert rig.transport.sent[-1].url == AD1
    rig.transport.answer(len(rig.transport.sent) - 1, 202)
    assert outbox(rig) == []


def test_one_event_failing_alone_keeps_its_backoff() -> None:
    """Others delivered between its failures: not an outage, so successes never bring it
    forward (a request the server keeps failing is not retried at every other event)."""
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 500)
    rig.tracker.track_click(f"{ORIGIN}/v1/beacon/click/other")
    rig.transport.answer(1, 202)  # one failure, then an answer: no outage
    assert waiting(rig)[AD1] == rig.clock.now() + 0.5  # backoff of attempt 1, rand 0.5


def test_retry_after_still_wins_when_the_server_is_back() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 429, retry_after="120")
    rig.tracker.track_click(AD2)
    rig.transport.answer(1, 503)  # two failures in a row: an outage
    rig.tracker.track_click(f"{ORIGIN}/v1/beacon/click/third")
    rig.transport.answer(2, 202)
    assert waiting(rig)[AD1] == rig.clock.now() + 120  # not brought forward before it
    rig.scheduler.advance(recovery.MAX_SPREAD_SECONDS)
    assert [s.url for s in rig.transport.sent[3:]] == [AD2]  # AD2 was
    rig.transport.answer(3, 202)
    rig.scheduler.advance(120 - recovery.MAX_SPREAD_SECONDS - 0.5)
    assert len(rig.transport.sent) == 4
    rig.scheduler.advance(0.6)
    assert rig.transport.sent[-1].url == AD1


def left_waiting(rig, urls: list[str], wait: float = 200.0) -> None:
    """Entries an earlier page left waiting out a long backoff, oldest first."""
    now = rig.clock.now()
    for i, url in enumerate(urls):
        entry = OutboxEntry(
            id=f"left-{i}", type="click", url=url, body="{}", created=now - 100 + i,
            attempts=8, next_at=now + wait, maybe_reached=True,
        )  # fmt: skip
        rig.storage.data[entry.key] = entry.model_dump_json()


def test_online_brings_every_waiting_event_forward_oldest_first() -> None:
    rig = started()
    urls = [f"{ORIGIN}/v1/beacon/click/o{i}" for i in range(4)]
    left_waiting(rig, urls)
    rig.tracker.back_online()
    due = waiting(rig)
    assert all(due[u] - rig.clock.now() <= recovery.spread(4) for u in urls)
    assert [due[u] for u in urls] == sorted(due[u] for u in urls)  # oldest first, spread
    rig.scheduler.advance(recovery.spread(4) + 0.01)
    assert [s.url for s in rig.transport.sent] == urls


def test_bringing_forward_never_touches_an_entry_in_flight() -> None:
    rig = started()
    left_waiting(rig, [AD1])
    rig.tracker.track_click(AD2)  # in flight, unanswered
    rig.scheduler.run()
    lease = {e["url"]: e["lease_until"] for e in outbox(rig)}[AD2]
    rig.tracker.back_online()
    assert {e["url"]: e["lease_until"] for e in outbox(rig)}[AD2] == lease
    assert len([s for s in rig.transport.sent if s.url == AD2]) == 1


def test_a_later_page_brings_forward_what_an_earlier_one_left_waiting() -> None:
    """The outage is kept per origin in storage: the next page view's first answer ends it."""
    rig = started()
    fail_many_times(rig, AD1, 8)
    rig.transport.answer(len(rig.transport.sent) - 1, 503)
    later = make_rig(storage=rig.storage, clock=rig.clock)
    later.tracker.start()
    later.scheduler.run()
    assert later.transport.sent == []  # still waiting out its backoff
    later.tracker.track_click(AD2)
    later.transport.answer(0, 202)
    later.scheduler.advance(recovery.MAX_SPREAD_SECONDS)
    assert [s.url for s in later.transport.sent] == [AD2, AD1]


def test_a_failure_sent_before_the_server_came_back_waits_a_slot_not_its_backoff() -> None:
    rig = started()
    fail_many_times(rig, AD2, 7)  # AD2's next backoff would be up to 128 s
    rig.transport.answer(len(rig.transport.sent) - 1, 503)
    rig.scheduler.advance(waiting(rig)[AD2] - rig.clock.now() + 0.01)  # AD2's 9th attempt
    rig.clock.advance(0.2)  # while it is in flight, the server comes back
    rig.tracker.track_click(AD1)
    rig.transport.answer(len(rig.transport.sent) - 1, 202)
    rig.transport.answer(len(rig.transport.sent) - 2, 503)  # AD2's answer, on its way before
    assert waiting(rig)[AD2] == rig.clock.now() + recovery.late_delay(0.5)


def test_two_tabs_bring_forward_and_send_each_waiting_event_once() -> None:
    storage, clock = MemoryStorage(), FakeClock()
    a, b = make_rig(storage=storage, clock=clock), make_rig(storage=storage, clock=clock)
    a.tracker.start()
    b.tracker.start()
    fail_many_times(a, AD1, 8)
    a.transport.answer(len(a.transport.sent) - 1, 503)
    b.tracker.track_click(AD2)
    b.transport.answer(0, 202)  # tab b sees the server back: a's event is brought forward
    a.scheduler.advance(recovery.MAX_SPREAD_SECONDS)  # tab a's own timer fires too
    b.scheduler.advance(0)
    resent = [s for s in a.transport.sent[9:] + b.transport.sent[1:] if s.url == AD1]
    assert len(resent) == 1


# --- in flight (delivery/in_flight.py) ---------------------------------------------------------


def test_each_attempt_timeout_counts_the_requests_ahead_of_it() -> None:
    rig = started()
    for i in range(13):
        rig.tracker.track_click(f"{ORIGIN}/v1/beacon/click/burst-{i}")
    assert [s.timeout for s in rig.transport.sent] == [10.0] * 6 + [20.0] * 6 + [30.0]
    rig.scheduler.run()
    leases = [e["lease_until"] - rig.clock.now() for e in outbox(rig)]
    assert sorted(leases)[-1] == 30.0 + LEASE_MARGIN_SECONDS  # the lease covers it


def test_past_the_in_flight_cap_new_events_wait_and_leave_when_one_ends() -> None:
    rig = started()
    for i in range(MAX_IN_FLIGHT + 2):
        rig.tracker.track_click(f"{ORIGIN}/v1/beacon/click/cap-{i}")
    rig.scheduler.run()
    assert len(rig.transport.sent) == MAX_IN_FLIGHT
    assert rig.decisions[-1].outcome == "queued" and "in flight" in rig.decisions[-1].reason
    rig.transport.answer(0, 202)
    rig.transport.answer(1, 202)
    assert len(rig.transport.sent) == MAX_IN_FLIGHT + 2


def test_a_burst_past_the_bounds_in_flight_is_never_dropped_and_never_lost() -> None:
    rig = started()
    n = OUTBOX_MAX + 20
    for i in range(n):
        rig.tracker.track_click(f"{ORIGIN}/v1/beacon/click/many-{i}")
    rig.scheduler.run()  # the bounds: nothing in flight is dropped
    assert not [d for d in rig.decisions if d.outcome == "dropped"]
    for i in range(n):  # every first attempt fails
        rig.transport.answer(i, 503)
    rig.scheduler.run()
    dropped = [d for d in rig.decisions if d.outcome == "dropped"]
    assert len(dropped) == len(rig.transport.sent) - OUTBOX_MAX  # the waiting ones over it
