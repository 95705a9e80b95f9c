"""A one-run benchmark smoke: `python build.py bench` keeps working (no timing asserted)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.run import TARGETS, run

DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


@pytest.mark.skipif(not (DIST / "tracker.js").exists(), reason="run python3 build.py first")
def test_benchmark_runs_end_to_end(tmp_path: Path) -> None:
    results = run(DIST, runs=1, clicks=10, storage_clicks=60, out=tmp_path)
    figures = results["figures"]
    for key, _, _, _ in TARGETS:
        assert isinstance(figures[key], int | float) and not math.isnan(figures[key]), key
    assert figures["clicks_measured"] == 10
    assert figures["storage_clicks_delivered"] == 60
    assert json.loads((tmp_path / "results.json").read_text())["runs"] == 1
    assert "| figure | tracker |" in (tmp_path / "results.md").read_text()
