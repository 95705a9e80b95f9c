"""The benchmark's pure parts: splitting server traffic into page views, the targets."""

from __future__ import annotations

import math

import pytest

from bench.pages import REPORT_PATH
from bench.targets import TARGETS, targets
from bench.views import by_url, per_view

R1, R2 = f"{REPORT_PATH}?d=1", f"{REPORT_PATH}?d=2"


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([], [[], []]),
        # headers and body of one response are two writes; the report splits the views
        (
            [("/dist/a.js", 100), ("/dist/a.js", 900), (R1, 50), (R1, 2), ("/dist/a.js", 200)],
            [[("/dist/a.js", 100), ("/dist/a.js", 900)], [("/dist/a.js", 200)]],
        ),
        # pages, favicons and the report itself are not the dist's bytes
        ([("/views/x.html", 5), ("/favicon.ico", 7), (R1, 1)], [[], []]),
        # a report's second write (same URL) does not open a third view
        (
            [("/dist/a", 1), (R1, 1), ("/dist/b", 2), (R1, 1), ("/dist/c", 3)],
            [[("/dist/a", 1)], [("/dist/b", 2), ("/dist/c", 3)]],
        ),
        # anything after the last report belongs to no view
        ([(R1, 1), ("/dist/b", 2), (R2, 1), ("/dist/late", 9)], [[], [("/dist/b", 2)]]),
    ],
)
def test_traffic_is_split_into_views_at_each_report(entries, expected) -> None:
    assert per_view(entries, 2) == expected


def test_bytes_and_requests_are_summed_per_url_in_first_seen_order() -> None:
    entries = [("/dist/b.wasm", 300), ("/dist/a.js", 10), ("/dist/b.wasm", 700), ("/dist/a.js", 5)]
    assert by_url(entries) == {"/dist/b.wasm": 1000, "/dist/a.js": 15}
    assert list(by_url(entries)) == ["/dist/b.wasm", "/dist/a.js"]
    assert by_url([]) == {}


def test_targets_are_met_missed_or_not_measured() -> None:
    figures = {key: limit for key, limit, _ in TARGETS}
    figures["tbt_cold_ms"] = 301
    figures["bytes_warm"] = math.nan
    del figures["lh_mobile_score_drop"]
    verdict = {key: t["met"] for key, t in targets(figures).items()}
    assert verdict["tbt_cold_ms"] is False
    assert verdict["bytes_warm"] is None
    assert verdict["lh_mobile_score_drop"] is None
    assert verdict["lh_desktop_score_drop"] is True  # at the limit is met


def test_build_py_offers_every_bench_part() -> None:
    import importlib.util
    from pathlib import Path

    from bench.run import PARTS

    spec = importlib.util.spec_from_file_location(
        "build_entry", Path(__file__).resolve().parents[2] / "build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.BENCH_PARTS == PARTS


def test_the_soak_rows_show_the_benchmarks_soak() -> None:
    from bench.report import soak_rows

    # The figures of the benchmark's soak on 2026-12-02 (docs/performance.md#soak).
    figures = {
        "soak_seconds": 199.2,
        "soak_route_changes": 32000,
        "soak_expected_events": 10366,
        "soak_accepted_events": 10366,
        "soak_missing_count": 0,
        "soak_doubled_count": 0,
        "soak_unexpected_count": 0,
        "soak_answered_with_faults": 256,
        "soak_js_heap_growth_mb": 0.133,
        "soak_js_heap_bytes": 9743296,
        "soak_wasm_growth_mb": 0.003,
        "soak_wasm_bytes": 54795790,
        "soak_storage_chars": 6537,
        "soak_storage_problems_count": 0,
    }
    rows = "\n".join(soak_rows(figures))
    assert "| events the rules allow / accepted | 10,366 / 10,366 |" in rows
    assert "| missing / doubled / unexpected | 0 / 0 / 0 |" in rows
    assert "| JS heap: growth / at the end | 0.13 MB / 9.3 MB |" in rows
    assert soak_rows({}) == []


def test_the_soak_rows_show_copies_by_cause_and_the_drain_against_its_bound() -> None:
    from bench.report import soak_rows

    # The figures of the benchmark's soak on 2026-12-06 (docs/performance.md#soak).
    figures = {
        "soak_seconds": 244.0,
        "soak_route_changes": 32000,
        "soak_expected_events": 10366,
        "soak_accepted_events": 10369,
        "soak_missing_count": 0,
        "soak_doubled_count": 0,
        "soak_unexpected_count": 0,
        "soak_answered_with_faults": 256,
        "soak_copies_by_cause": {"timed out": 3, "connection lost": 0, "answered 5xx": 0},
        "soak_drain_after_outage_max_s": 6.3,
        "soak_drain_bound_s": 40.0,
        "soak_js_heap_growth_mb": 0.28,
        "soak_js_heap_bytes": 10_900_000,
        "soak_wasm_growth_mb": 0.03,
        "soak_wasm_bytes": 54_795_790,
        "soak_storage_chars": 6690,
        "soak_storage_problems_count": 0,
    }
    rows = "\n".join(soak_rows(figures))
    assert "| events the rules allow / accepted | 10,366 / 10,369 |" in rows
    assert "timed out / connection lost / answered 5xx | 3 / 0 / 0 |" in rows
    assert "| drain after an outage, worst round / the policy's bound | 6.3 s / 40 s |" in rows
    undrained = soak_rows({**figures, "soak_drain_after_outage_max_s": None})
    assert "| not every event / 40 s |" in "\n".join(undrained)


def test_the_network_pacer_shares_one_downlink() -> None:
    """Two writers of 32 KiB at 1 Mbps: the second waits for the first; all in 0.52 s."""
    from bench.serving import Pacer

    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer(1e6, clock=lambda: now[0], sleep=sleep)
    written: list[int] = []
    for _ in range(2):
        pacer.send(b"x" * 32 * 1024, lambda chunk: written.append(len(chunk)) or len(chunk))
    assert written == [16 * 1024] * 4
    assert now[0] == pytest.approx(2 * 32 * 1024 * 8 / 1e6)
