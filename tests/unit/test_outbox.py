from adtracker.base.keys import OUTBOX_PREFIX
from adtracker.base.store import MemoryStorage, Store
from adtracker.delivery.outbox import Outbox, OutboxEntry, over_bounds
from tests.unit.fakes import RecordingLog

NOW = 2000.0


def entry(i: int, body: str = '{"user_id":"u","session_id":"s"}') -> OutboxEntry:
    return OutboxEntry(
        id=f"e{i:04d}", type="click", url=f"https://a.example/c/{i}", body=body, created=1000.0 + i
    )


def test_over_bounds_by_count_drops_the_oldest() -> None:
    entries = [entry(i) for i in range(12)]
    dropped = over_bounds(entries, NOW, max_entries=10, max_chars=10**9)
    assert [e.id for e in dropped] == ["e0000", "e0001"]


def test_over_bounds_by_bytes() -> None:
    entries = [entry(i, body="x" * 1000) for i in range(10)]
    size = len(entries[0].model_dump_json())
    dropped = over_bounds(entries, NOW, max_entries=100, max_chars=size * 4)
    assert [e.id for e in dropped] == [f"e{i:04d}" for i in range(6)]


def test_entries_in_flight_are_neither_counted_nor_dropped() -> None:
    """Dropping an entry in flight frees no request, and its failure would lose it."""
    in_flight = [entry(i).model_copy(update={"lease_until": NOW + 5}) for i in range(5)]
    waiting = [entry(i) for i in range(5, 9)]
    dropped = over_bounds(in_flight + waiting, NOW, max_entries=3, max_chars=10**9)
    assert [e.id for e in dropped] == ["e0005"]  # the oldest waiting one, not e0000
    expired = [e.model_copy(update={"lease_until": NOW}) for e in in_flight]  # lease over
    assert len(over_bounds(expired + waiting, NOW, max_entries=3, max_chars=10**9)) == 6


def test_within_bounds_drops_nothing() -> None:
    assert over_bounds([entry(1), entry(2)], NOW, max_entries=2, max_chars=10**6) == []
    assert over_bounds([], NOW, max_entries=0, max_chars=0) == []


def test_round_trip_and_garbage() -> None:
    storage = MemoryStorage()
    box = Outbox(Store(storage, RecordingLog()))
    box.put(entry(2))
    box.put(entry(1))
    storage.data[OUTBOX_PREFIX + "junk"] = "{not json"
    storage.data[OUTBOX_PREFIX + "typed"] = '{"id": 5}'
    storage.data[OUTBOX_PREFIX + "moved"] = entry(3).model_dump_json()  # wrong key for its id
    assert [e.id for e in box.all()] == ["e0001", "e0002"]
    assert sorted(storage.data) == [OUTBOX_PREFIX + "e0001", OUTBOX_PREFIX + "e0002"]
    box.remove("e0001")
    assert box.get("e0001") is None and box.get("e0002") == entry(2)
