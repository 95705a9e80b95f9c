"""Counting a soak session (bench/soak_report.py): copies by cause, doubles, the drain."""

from __future__ import annotations

from dataclasses import dataclass

from bench.soak_report import Expected, Session, copies, drains, figures

C = "http://127.0.0.1:9/v1/beacon"


@dataclass
class Got:  # the fields of devserver.collector.Received the report reads
    path: str
    status: int
    received_at: float
    faulted: bool = False
    delay: float = 0.0


def session(received: list[Got], held: list[list], rounds=None, online_at=()) -> Session:
    expected = Expected()
    for kind, ad in (("click", "a"), ("click", "b"), ("impression", "c")):
        expected.add(kind, ad)
    return Session(
        plan_rounds=1, route_changes=0, expected=expected, received=received,
        rounds=rounds or [("5xx storm", 100.0, 200.0)], online_at=list(online_at),
        slow_s=3.0, held=held, storage=[], tabs=1,
    )  # fmt: skip


A, B, IMP = "/v1/beacon/click/a?pos=1", "/v1/beacon/click/b?pos=1", "/v1/beacon/impression/c?pos=1"


def test_a_copy_after_a_timed_out_attempt_is_counted_by_its_cause_not_as_a_double() -> None:
    got = copies(session(
        [Got(A, 202, 101), Got(A, 202, 104), Got(B, 202, 101), Got(IMP, 202, 101)],
        [[C + "/click/a?pos=1", "failed", "timed out; retry 1 in 0.4 s", 103_000]],
    ))  # fmt: skip
    assert got["doubled"] == [] and got["missing"] == []
    assert got["copies_by_cause"] == {"timed out": 1, "connection lost": 0, "answered 5xx": 0}
    assert got["accepted_events"] == got["expected_events"] + got["copies_after_failure"]


def test_a_copy_after_only_not_processed_answers_is_a_double() -> None:
    """A 503 says the server did not process it: a second accepted copy is the tracker's."""
    got = copies(session(
        [Got(A, 503, 101, faulted=True), Got(A, 202, 102), Got(A, 202, 103)],
        [[C + "/click/a?pos=1", "failed", "HTTP 503; retry 1 in 0.5 s", 101_500]],
    ))  # fmt: skip
    assert got["doubled"] == [A]
    assert got["missing"] == [B, IMP]
    assert got["copies_after_failure"] == 0


def test_the_drain_runs_from_the_last_faulty_answer_to_the_last_held_event_accepted() -> None:
    s = session(
        [Got(A, 503, 110, faulted=True), Got(B, 503, 120, faulted=True), Got(B, 202, 121),
         Got(A, 202, 124.5), Got(IMP, 202, 105)],
        [[C + "/click/a?pos=1", "failed", "HTTP 503", 110_100],
         [C + "/click/b?pos=1", "failed", "HTTP 503", 120_100]],
    )  # fmt: skip
    assert drains(s) == [4.5]
    assert figures(s)["drain_after_outage_max_s"] == 4.5
    assert figures(s)["answered_with_faults"] == 2


def test_a_slow_answer_ends_its_outage_when_it_is_sent_and_offline_ends_online() -> None:
    slow = session(
        [Got(A, 202, 110, faulted=True, delay=3.0), Got(A, 202, 115)],
        [[C + "/click/a?pos=1", "failed", "timed out", 112_000]],
        rounds=[("slow answers", 100.0, 200.0)],
    )
    assert drains(slow) == [0.0]  # first accepted (late) at 110, before 113: drained
    offline = session(
        [Got(A, 202, 131)],
        [[C + "/click/a?pos=1", "queued", "offline: queued", 120_000]],
        rounds=[("offline flapping", 100.0, 200.0)], online_at=[125.0, 129.0],
    )  # fmt: skip
    assert drains(offline) == [2.0]


def test_a_held_event_never_accepted_has_no_drain() -> None:
    s = session([Got(A, 503, 110, faulted=True)], [[C + "/click/a?pos=1", "failed", "x", 110_000]])
    assert drains(s) == [None]
    assert figures(s)["drain_after_outage_max_s"] is None
