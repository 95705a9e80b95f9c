import json

from adtracker.base import keys
from adtracker.base.limits import MAX_EVENT_AGE_SECONDS, MAX_MARKS
from adtracker.base.store import MemoryStorage
from adtracker.events.marks import PRUNE_EVERY
from adtracker.tracker import Tracker
from tests.unit.fakes import AD1, AD2, ORIGIN, T0, ThrowingStorage, make_rig
from tests.unit.test_responses import AJV_422


def started(**kw):
    rig = make_rig(**kw)
    rig.tracker.start()
    rig.scheduler.run()
    return rig


def test_click_is_sent_verbatim_with_both_ids() -> None:
    rig = started(user_id="customer-42", session_id="sess-1")
    assert rig.tracker.track_click(AD1) == "sent"
    assert len(rig.transport.sent) == 1
    sent = rig.transport.sent[0]
    assert sent.url == AD1
    assert json.loads(sent.body) == {"user_id": "customer-42", "session_id": "sess-1"}


def test_generated_ids_are_sent_and_kept() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    body = json.loads(rig.transport.sent[0].body)
    stored = json.loads(rig.storage.data[keys.IDS])
    assert body == {"user_id": stored["anon_user_id"], "session_id": stored["session_id"]}
    assert all(k.startswith(keys.PREFIX) for k in rig.storage.data)


def test_repeated_click_within_the_hour_is_deduplicated() -> None:
    rig = started()
    assert rig.tracker.track_click(AD1) == "sent"
    rig.clock.advance(59 * 60 + 59)
    assert rig.tracker.track_click(AD1) == "deduplicated"
    rig.clock.advance(1)
    assert rig.tracker.track_click(AD1) == "sent"
    assert len(rig.transport.sent) == 2


def test_second_ad_is_its_own_event() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.tracker.track_click(AD2)
    assert [s.url for s in rig.transport.sent] == [AD1, AD2]


def test_dedup_survives_a_reload() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.scheduler.run()  # deferred writes (the browser also runs them on pagehide)
    again = Tracker(
        rig.tracker.config,
        clock=rig.clock,
        storage=rig.storage,
        transport=rig.transport,
        ids=rig.tracker._ids,
        scheduler=rig.scheduler,
        log=rig.log,
    )
    again.start()
    assert again.identity == rig.tracker.identity
    assert again.track_click(AD1) == "deduplicated"
    assert len(rig.transport.sent) == 1


def test_new_session_counts_again() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.clock.advance(31 * 86400)
    assert rig.tracker.track_click(AD1) == "sent"
    first, second = (json.loads(s.body) for s in rig.transport.sent)
    assert first["user_id"] == second["user_id"]
    assert first["session_id"] != second["session_id"]


def test_refused_urls_send_nothing_and_say_why() -> None:
    rig = started(debug=True)
    for url in ("/relative", "javascript:alert(1)", "https://evil.example/x", None):
        assert rig.tracker.track_click(url) == "refused"
    rig.scheduler.run()
    assert rig.transport.sent == []
    assert [d.outcome for d in rig.decisions] == ["refused"] * 4
    assert any("not in data-beacon-origins" in m for m in rig.log.of("debug"))


def test_outcomes_reach_the_observer() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 202, '{"messages": ["click will be processed soon"]}')
    rig.tracker.track_click(AD1)
    rig.scheduler.run()
    assert [(d.outcome, d.url) for d in rig.decisions] == [
        ("sent", AD1),
        ("delivered", AD1),
        ("deduplicated", AD1),
    ]


def test_422_is_reported_once_naming_the_property_and_not_retried() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, 422, AJV_422)
    rig.scheduler.run()
    errors = rig.log.of("error")
    assert len(errors) == 1 and "user_id" in errors[0]
    assert rig.tracker.track_click(AD1) == "deduplicated"  # not sent again
    assert len(rig.transport.sent) == 1


def test_a_network_failure_is_retried_not_sent_twice() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.transport.answer(0, None, error="TypeError: Failed to fetch")
    assert rig.tracker.track_click(AD1) == "deduplicated"  # the outbox owns the retry
    rig.scheduler.advance(1.0)
    assert [s.url for s in rig.transport.sent] == [AD1, AD1]


def test_debug_off_logs_no_decisions() -> None:
    rig = started()
    rig.tracker.track_click("javascript:x")
    rig.scheduler.run()
    assert rig.log.lines == []


def test_preboot_clicks_are_taken_over_once() -> None:
    storage = MemoryStorage()
    queue = [
        {"u": AD1, "t": (T0 - 5) * 1000},
        {"u": AD1, "t": (T0 - 4) * 1000},  # a double click before boot
        {"u": "javascript:x", "t": T0 * 1000},
        {"u": AD2, "t": (T0 - MAX_EVENT_AGE_SECONDS - 1) * 1000},  # too old
        {"bad": True},
    ]
    storage.data[keys.PREBOOT] = json.dumps(queue)
    rig = started(storage=storage)
    assert [s.url for s in rig.transport.sent] == [AD1]
    assert keys.PREBOOT not in storage.data
    # the dedup window runs from the click time, not from boot
    rig.clock.advance(3600 - 5)
    assert rig.tracker.track_click(AD1) == "sent"


def test_corrupt_preboot_queue_is_discarded() -> None:
    for raw in ("{not json", '{"u": 1}', "null"):
        storage = MemoryStorage()
        storage.data[keys.PREBOOT] = raw
        rig = started(storage=storage)
        assert rig.transport.sent == [] and keys.PREBOOT not in storage.data
        assert rig.tracker.track_click(AD1) == "sent"


def test_corrupt_stored_values_are_discarded_and_rewritten() -> None:
    storage = MemoryStorage()
    storage.data[keys.IDS] = '{"anon_user_id": 5}'
    rig = started(storage=storage)
    assert json.loads(storage.data[keys.IDS])["anon_user_id"] == "id-1"
    rig.tracker.track_click(AD1)
    rig.scheduler.run()
    dedup_key = next(k for k in storage.data if k.startswith(keys.DEDUP_PREFIX))
    for garbage in ("[]", "x" * 70_000, '{"e": "soon"}', '{"e": -1}'):
        storage.data[dedup_key] = garbage
        reloaded = make_rig(storage=storage, clock=rig.clock)
        reloaded.tracker.start()
        assert reloaded.tracker.track_click(AD1) == "sent"  # the mark was unreadable
        reloaded.scheduler.run()
        assert json.loads(storage.data[dedup_key])["e"] > rig.clock.now()  # and is rewritten


def test_marks_survive_clobbered_storage_within_the_page() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    for key in list(rig.storage.data):
        rig.storage.data[key] = "{"
    assert rig.tracker.track_click(AD1) == "deduplicated"


def test_throwing_storage_falls_back_to_memory() -> None:
    rig = started(storage=ThrowingStorage(), debug=True)
    assert rig.tracker.track_click(AD1) == "sent"
    assert rig.tracker.track_click(AD1) == "deduplicated"
    warnings = rig.log.of("warn")
    assert len([w for w in warnings if "storage is unusable" in w]) == 1


def test_storage_stays_bounded_however_many_ads_are_clicked() -> None:
    rig = started()
    for i in range(MAX_MARKS + 3 * PRUNE_EVERY):
        rig.tracker.track_click(f"{ORIGIN}/v1/beacon/click/ad-{i}")
        rig.transport.answer(i, 202)
        rig.scheduler.run()
    dedup_marks = [k for k in rig.storage.data if k.startswith(keys.DEDUP_PREFIX)]
    assert len(dedup_marks) <= MAX_MARKS + PRUNE_EVERY
    total = sum(len(k) + len(v) for k, v in rig.storage.data.items())
    assert total * 2 < 64 * 1024  # localStorage counts UTF-16 code units


def test_expired_marks_are_pruned_at_start() -> None:
    rig = started()
    rig.tracker.track_click(AD1)
    rig.clock.advance(3601)
    rig.tracker.start()
    rig.scheduler.run()
    assert not [k for k in rig.storage.data if k.startswith(keys.DEDUP_PREFIX)]


def test_an_internal_error_never_escapes() -> None:
    rig = started()

    def boom(url: str, body: str, on_result: object, timeout: float) -> None:
        raise RuntimeError("transport exploded")

    rig.transport.send = boom  # type: ignore[method-assign]
    assert rig.tracker.track_click(AD1) == "refused"
    assert any("transport exploded" in m for m in rig.log.of("error"))


class QuotaStorage(MemoryStorage):
    """localStorage that is full: writes fail until something of ours is removed."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def set(self, key: str, value: str) -> None:
        if key not in self.data and len(self.data) >= self.room:
            raise RuntimeError("QuotaExceededError: the quota has been exceeded")
        super().set(key, value)


def test_quota_exceeded_prunes_our_keys_and_keeps_storage() -> None:
    storage = QuotaStorage(room=30)
    rig = started(storage=storage, debug=True)
    for i in range(60):
        assert rig.tracker.track_click(f"{ORIGIN}/v1/beacon/click/q-{i}") == "sent"
        rig.transport.answer(i, 202)
        rig.scheduler.run()
    assert not any("storage is unusable" in w for w in rig.log.of("warn"))
    assert any("quota exceeded" in m for m in rig.log.of("debug"))
    assert keys.IDS in storage.data
