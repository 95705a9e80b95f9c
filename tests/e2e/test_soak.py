"""The bounded soak: one long SPA session under faults, counted exactly (bench/soak.py,
bench/soak_report.py).

The benchmark's ``soak`` part runs the same session four times longer and reports the
same figures (docs/performance.md).
"""

from __future__ import annotations

from typing import Any

from e2e_helpers import make_page

from bench.soak import (
    DRAIN_S,
    MAX_JS_HEAP_GROWTH,
    MAX_WASM_GROWTH,
    REQUEST_TIMEOUT_S,
    SUITE,
    run_soak,
)


def test_a_long_session_under_faults_delivers_every_event_exactly_once(
    browser: Any, site: Any, collector: Any
) -> None:
    attrs = {"data-request-timeout": str(REQUEST_TIMEOUT_S), "data-debug": None}
    url = make_page(site, collector, "", attrs=attrs)

    got = run_soak(browser, url, collector, SUITE)

    print(got)
    assert got["page_errors"] == []
    assert got["missing"] == [], got["missing"][:20]
    assert got["unexpected"] == [], got["unexpected"][:20]
    assert got["doubled"] == [], got["doubled"][:20]
    assert got["answered_with_faults"] > 0, "no fault was met: the session tested nothing"
    assert got["faults_left"] == 0, "a fault was not met: the session did not test it"
    # Every accepted copy is an expected event, or a resend after an attempt whose fate
    # was unknown (bench/soak_report.py counts them by cause): here only the slow answers,
    # accepted after the attempt timed out, one copy each at most (docs/guarantees.md).
    assert got["accepted_events"] == got["expected_events"] + got["copies_after_failure"]
    causes = got["copies_by_cause"]
    assert causes["timed out"] <= got["slow_answers_accepted"], causes
    assert causes["answered 5xx"] == 0, causes
    # Once each outage ended, every event it held back was accepted within the policy's
    # bound (adtracker/delivery/recovery.py), and so was the whole session at its end.
    assert None not in got["drain_after_outage_s"], got["drain_after_outage_s"]
    assert got["drain_after_outage_max_s"] <= DRAIN_S, got["drain_after_outage_s"]
    assert got["drained_in_s"] < DRAIN_S, got
    assert got["storage_problems"] == []
    assert got["js_heap_growth_bytes"] <= MAX_JS_HEAP_GROWTH, got
    assert got["wasm_growth_bytes"] <= MAX_WASM_GROWTH, got
