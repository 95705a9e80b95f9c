"""The recovery rule and the attempt timeout, table by table (delivery/recovery.py,
delivery/in_flight.py)."""

import itertools

import pytest

from adtracker.delivery import recovery
from adtracker.delivery.in_flight import CONNECTIONS_PER_HOST, attempt_timeout
from adtracker.delivery.outbox import OutboxEntry
from adtracker.delivery.recovery import OriginHealth

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("health", "sent_at", "after"),
    [
        (OriginHealth(), NOW, OriginHealth(f=1)),
        (OriginHealth(f=4), NOW, OriginHealth(f=5)),
        # an attempt sent before the origin came back: its failure is the outage's
        (OriginHealth(f=0, r=NOW), NOW - 1, OriginHealth(f=0, r=NOW)),
        (OriginHealth(f=0, r=NOW), NOW, OriginHealth(f=1, r=NOW)),
    ],
)
def test_after_failure(health: OriginHealth, sent_at: float, after: OriginHealth) -> None:
    assert recovery.after_failure(health, sent_at) == after


@pytest.mark.parametrize(
    ("failures", "recovered", "after"),
    [
        (0, False, OriginHealth()),
        (1, False, OriginHealth()),  # one failure alone is no outage
        (recovery.OUTAGE_FAILURES, True, OriginHealth(f=0, r=NOW)),
        (40, True, OriginHealth(f=0, r=NOW)),
    ],
)
def test_after_answer(failures: int, recovered: bool, after: OriginHealth) -> None:
    assert recovery.after_answer(OriginHealth(f=failures, r=5.0), NOW) == (
        after if recovered else OriginHealth(f=0, r=5.0),
        recovered,
    )


def entry(i: int, **fields: object) -> OutboxEntry:
    values: dict = {"next_at": NOW + 300, "attempts": 9, "created": NOW - 100 + i}
    values.update(fields)
    return OutboxEntry(id=f"e{i}", type="impression", url=f"https://a.example/{i}", body="{}",
                       **values)  # fmt: skip


@pytest.mark.parametrize(
    ("entries", "rand", "expected"),
    [
        ([], 0.5, []),
        ([entry(0)], 0.0, [("e0", NOW)]),
        # each in its own slot of the spread, oldest first (listed in any order)
        ([entry(2), entry(0), entry(1)], 0.5,
         [("e0", NOW + 0.05), ("e1", NOW + 0.15), ("e2", NOW + 0.25)]),
        # Retry-After wins
        ([entry(0, not_before=NOW + 60)], 0.0, [("e0", NOW + 60)]),
        # in flight (leased): untouched; already due sooner: untouched
        ([entry(0, lease_until=NOW + 5), entry(1, next_at=NOW + 0.01)], 0.5, []),
        # not before its own next_at when the server's wait is later than that
        ([entry(0, next_at=NOW + 30, not_before=NOW + 30)], 0.0, []),
    ],
)  # fmt: skip
def test_bring_forward(
    entries: list[OutboxEntry], rand: float, expected: list[tuple[str, float]]
) -> None:
    got = recovery.bring_forward(entries, NOW, lambda: rand)
    assert [(b.entry.id, pytest.approx(b.next_at)) for b in got] == expected


def test_a_hundred_events_are_spread_over_the_whole_spread_and_no_more() -> None:
    rands = itertools.cycle([0.0, 0.99])
    got = recovery.bring_forward([entry(i) for i in range(100)], NOW, lambda: next(rands))
    due = [b.next_at - NOW for b in got]
    assert due == sorted(due) and due[0] == 0.0
    assert recovery.MAX_SPREAD_SECONDS * 0.98 < due[-1] < recovery.MAX_SPREAD_SECONDS


@pytest.mark.parametrize(
    ("ahead", "timeout"),
    [(0, 10.0), (CONNECTIONS_PER_HOST - 1, 10.0), (CONNECTIONS_PER_HOST, 20.0), (60, 110.0)],
)
def test_attempt_timeout_counts_the_requests_ahead(ahead: int, timeout: float) -> None:
    assert attempt_timeout(10.0, ahead) == timeout


def test_the_drain_bound_is_the_spread_a_flush_and_the_last_attempts_timeout() -> None:
    assert recovery.drain_bound(0, 2.0) == recovery.FLUSH_LATENESS_SECONDS + 2.0
    assert recovery.drain_bound(100, 2.0) == (
        recovery.MAX_SPREAD_SECONDS + recovery.FLUSH_LATENESS_SECONDS + attempt_timeout(2.0, 100)
    )
