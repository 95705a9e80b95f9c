"""Benchmark smokes: `python build.py bench` keeps working (no timing asserted).

A full Lighthouse pass (2 form factors × with/without) adds minutes, so the one-run smoke
leaves it out and a separate smoke runs one Lighthouse desktop pass on the page without
the tracker."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from bench.lighthouse import WEB, lighthouse_runs
from bench.pages import Site
from bench.run import run
from bench.targets import TARGETS

DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
built = pytest.mark.skipif(not (DIST / "tracker.js").exists(), reason="run python3 build.py first")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not math.isnan(value)


@built
def test_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    results = run(
        DIST,
        runs=1,
        clicks=10,
        storage_clicks=60,
        out=tmp_path,
        parts=("boot", "hosts", "clicks", "storage", "phone"),
    )
    figures = results["figures"]
    for key, _, _ in TARGETS:  # Lighthouse, engines and the soak have their own tests
        if not key.startswith(("lh_", "soak_")) and not key.endswith("_stall_cold_ms"):
            assert _number(figures[key]), key
    for stay in (0, 3000):  # the next page, opened as ready resolves and 3 s later
        for host in ("", "_no_cache"):  # on the advised host and on a no-cache one
            assert figures[f"next_{stay}ms{host}_views"] == 1
            assert _number(figures[f"ready_over_bare_next_{stay}ms{host}"]), (stay, host)
    assert (
        "next page opened 0 s after ready, no-cache host" in (tmp_path / "results.md").read_text()
    )
    for key in ("ready_warm_ms", "bare_warm_ms", "longest_task_warm_ms", "tbt_warm_ms"):
        assert _number(figures[key]), key
    assert figures["bytes_cold"] > 1_000_000  # the runtime came over the wire, counted
    for kind in ("advised", "no_cache", "plain"):  # a first visit on each kind of host
        assert figures[f"bytes_cold_{kind}"] > 1_000_000, kind
        assert figures[f"host_{kind}"]["requests_by_url"], kind
    assert figures["bytes_cold_plain"] > figures["bytes_cold_advised"]
    assert figures["clicks_measured"] == 10
    for tag in ("", "_4x"):  # the click path at desktop and phone CPU speeds
        assert _number(figures[f"click{tag}_over_js_median"]), tag
        assert len(figures[f"click{tag}_over_js_rounds"]) == figures["click_rounds"], tag
    assert figures["storage_clicks_delivered"] == 60
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["runs"] == 1
    assert len(written["machine"]["load_average_start"]) == 3
    assert written["targets"]["lh_desktop_score_drop"]["met"] is None  # not measured
    assert "| plain headless Chromium | tracker |" in (tmp_path / "results.md").read_text()


@built
def test_engine_timings_run_in_every_engine(tmp_path: Path) -> None:
    """The ``engines`` part: ready and the heartbeat stall in Chromium, Firefox, WebKit."""
    figures = run(DIST, runs=1, out=tmp_path, parts=("engines",))["figures"]
    for engine in ("chromium", "firefox", "webkit"):
        for phase in ("cold", "warm"):
            assert figures[f"{engine}_ready_{phase}_ms"] > 0, (engine, phase)
            assert figures[f"{engine}_gap_{phase}_ms"] >= 10, (engine, phase)  # it beat
            assert _number(figures[f"{engine}_stall_{phase}_ms"]), (engine, phase)
    assert "| engine (heartbeat) |" in (tmp_path / "results.md").read_text()


@built
@pytest.mark.skipif(
    shutil.which("node") is None or not (WEB / "node_modules" / "lighthouse").is_dir(),
    reason="Lighthouse comes with npm ci in web/ (python3 build.py)",
)
def test_lighthouse_desktop_pass_gives_a_score() -> None:
    site = Site(DIST, clicks=1)
    try:
        url = site.url("/store/plain.html")
        (result,) = lighthouse_runs([{"url": url, "formFactor": "desktop", "label": "smoke"}])
    finally:
        site.close()
    assert 0 <= result["score"] <= 100
    assert _number(result["tbt_ms"])
    assert result["total_bytes"] > 0
