"""Limits that depend on each other."""

from adtracker.base.limits import KIB, MAX_BODY_CHARS, MAX_STORED_VALUE_CHARS, MAX_URL_CHARS
from adtracker.base.store import MemoryStorage, Store
from adtracker.delivery.outbox import OutboxEntry
from tests.unit.fakes import RecordingLog


def test_the_largest_outbox_entry_fits_the_stored_value_limit() -> None:
    # the largest value we store: a URL and a body at their limits, and a few fields
    assert MAX_URL_CHARS + MAX_BODY_CHARS + KIB < MAX_STORED_VALUE_CHARS
    entry = OutboxEntry(
        id="x" * 64,
        type="conversion",
        url="https://a.example/" + "u" * (MAX_URL_CHARS - 18),
        body="b" * MAX_BODY_CHARS,
        created=1e10,
        attempts=10**6,
        next_at=1e10,
        lease_until=1e10,
        maybe_reached=True,
    )
    store = Store(MemoryStorage(), RecordingLog())
    store.write(entry.key, entry)
    assert store.read(entry.key, OutboxEntry) == entry
