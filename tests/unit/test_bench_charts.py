"""The bench's charts (bench/charts.py) from small synthetic results: valid, labelled,
deterministic SVG, and a clear error when the results lack what a chart needs."""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bench.charts import (
    BYTES_SVG,
    MAIN_THREAD_SVG,
    PACKAGES_GROUP,
    PYODIDE_GROUP,
    TRACKER_GROUP,
    ResultsError,
    file_group,
    file_label,
    main,
    representative,
    write_charts,
)

RUNTIME = "/dist/r-0123456789ab/"


def _view(ready: float, load: float, tasks: list[list[int]], **extra: Any) -> dict[str, Any]:
    return {"ready_ms": ready, "load_ms": load, "tasks": tasks, **extra}


def _cold(wasm: int) -> dict[str, Any]:
    bytes_by_url = {
        "/dist/tracker.js": 3_700,
        f"{RUNTIME}pyodide.asm.wasm": wasm,
        f"{RUNTIME}python_stdlib.zip": 2_300_000,
        f"{RUNTIME}pydantic_core-2.50.5-cp314-cp314-pyemscripten_2026_0_wasm32.whl": 900_000,
    }
    return _view(
        2900 + wasm / 1e4,
        160,
        [[2800, 78], [2950, 51]],
        bytes=sum(bytes_by_url.values()),
        requests=5,
        bytes_by_url=bytes_by_url,
        requests_by_url={url: 2 if url.endswith(".wasm") else 1 for url in bytes_by_url},
    )


def results() -> dict[str, Any]:
    boot = {
        "tracker_cold": [_cold(4_000_000), _cold(4_100_000), _cold(3_900_000)],
        "tracker_warm": [_view(430, 60, []), _view(420, 61, []), _view(500, 70, [[300, 55]])],
        "bare_cold": [_view(2000, 150, [[300, 1690]]) for _ in range(3)],
        "bare_warm": [_view(1200, 60, [[150, 1091]]) for _ in range(3)],
        "plain_cold": [_view(150, 150, []) for _ in range(3)],
        "plain_warm": [_view(60, 60, []) for _ in range(3)],
    }
    return {
        "when": "2026-11-29T10:14:07Z",
        "started": "2026-11-29T10:10:00Z",
        "runs": 3,
        "machine": {
            "cpu": "AMD EPYC 7B13",
            "cores": 2,
            "browser": "Chromium 156.0.8078.108",
            "load_average_start": [0.99, 1.33, 2.63],
            "load_average_end": [2.09, 1.52, 2.38],
        },
        "samples": {"boot": boot},
    }


def _svg_text(path: Path) -> str:
    text = path.read_text()
    root = ET.fromstring(text)  # valid XML …
    assert root.tag == "{http://www.w3.org/2000/svg}svg"  # … and an SVG
    return " ".join("".join(e.itertext()) for e in root.iter())


def test_both_charts_render_as_labelled_svg(tmp_path: Path) -> None:
    written = write_charts(results(), tmp_path)
    assert [p.name for p in written] == [BYTES_SVG, MAIN_THREAD_SVG]
    when_where = [
        "2026-11-29 10:10–10:14 UTC",
        "AMD EPYC 7B13, 2 cores",
        "Chromium 156.0.8078.108",
        "0.99, 1.33, 2.63 at the start, 2.09, 1.52, 2.38 at the end",
    ]

    shown = _svg_text(tmp_path / BYTES_SVG)
    # the median-total run (4.0 MB wasm): 3.7 kB + 4 MB + 2.3 MB + 0.9 MB
    assert "7.20 MB in 5 requests" in shown
    for label in (
        "tracker.js",
        "pyodide.asm.wasm",
        "python_stdlib.zip",
        "pydantic_core 2.50.5 (wheel)",
    ):
        assert label in shown
    assert "the Pyodide runtime: 6.30 MB" in shown  # the legend: bytes per group
    assert "Python packages it needs: 900.0 kB" in shown
    assert "the tracker's own code: 3.7 kB" in shown
    assert "4.00 MB (56 %, 2 requests)" in shown
    assert "3.7 kB (< 1 %)" in shown
    for text in when_where:
        assert text in shown

    shown = _svg_text(tmp_path / MAIN_THREAD_SVG)
    for row in (
        "tracker cold",
        "tracker warm",
        "bare loadPyodide cold",
        "bare loadPyodide warm",
        "no tracker cold",
        "no tracker warm",
    ):
        assert row in shown
    assert "longest 78 ms, TBT 29 ms (2 tasks)" in shown
    assert "longest 1,690 ms, TBT 1,640 ms (1 task)" in shown
    assert "no long tasks" in shown  # the warm tracker's median-ready run has none
    assert "ms since navigation start" in shown
    for text in when_where:
        assert text in shown


def test_redrawing_the_same_results_gives_the_same_files(tmp_path: Path) -> None:
    first = [p.read_bytes() for p in write_charts(results(), tmp_path / "a")]
    again = [p.read_bytes() for p in write_charts(results(), tmp_path / "b")]
    assert first == again


def test_the_representative_run_is_the_median() -> None:
    views = [{"x": 3}, {"x": 1}, {"x": 2}, {"x": None}]
    assert representative(views, "x") == 2  # lower median of 1, 2, 3, (None last)
    assert representative(views[:3], "x") == 2


@pytest.mark.parametrize(
    ("url", "label", "group"),
    [
        ("/dist/tracker.js", "tracker.js", TRACKER_GROUP),
        (f"{RUNTIME}boot.mjs", "boot.mjs", TRACKER_GROUP),
        (f"{RUNTIME}snapshot-worker.mjs", "snapshot-worker.mjs", TRACKER_GROUP),
        (f"{RUNTIME}tracker-0.1.0-py3-none-any.whl", "tracker 0.1.0 (wheel)", TRACKER_GROUP),
        (f"{RUNTIME}adtracker-0.2.0-py3-none-any.whl", "adtracker 0.2.0 (wheel)", TRACKER_GROUP),
        (f"{RUNTIME}pydantic-2.14.4-py3-none-any.whl", "pydantic 2.14.4 (wheel)", PACKAGES_GROUP),
        (f"{RUNTIME}pyodide.asm.mjs", "pyodide.asm.mjs", PYODIDE_GROUP),
        (f"{RUNTIME}python_stdlib.zip?v=1", "python_stdlib.zip", PYODIDE_GROUP),
    ],
)
def test_files_are_named_and_grouped_by_whose_they_are(url, label, group) -> None:
    assert file_label(url) == label
    assert file_group(url) == group


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda r: r["samples"].pop("boot"), "no samples.boot"),
        (lambda r: r["samples"]["boot"].pop("plain_warm"), "no samples.boot.plain_warm"),
        (
            lambda r: r["samples"]["boot"]["tracker_cold"][1].pop("bytes_by_url"),
            "samples.boot.tracker_cold[1] lacks bytes_by_url",
        ),
        (
            lambda r: r["samples"]["boot"]["bare_warm"][0].pop("tasks"),
            "samples.boot.bare_warm[0] lacks tasks",
        ),
        (lambda r: r.pop("machine"), "lack 'when' and 'machine'"),
    ],
)
def test_results_without_the_fields_are_refused_clearly(tmp_path: Path, damage, message) -> None:
    broken = copy.deepcopy(results())
    damage(broken)
    with pytest.raises(ResultsError, match=re.escape(message)):
        write_charts(broken, tmp_path)


def test_the_command_redraws_from_a_results_file(tmp_path: Path, capsys) -> None:
    source = tmp_path / "results.json"
    source.write_text(json.dumps(results()))
    assert main([str(source), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / BYTES_SVG).exists()
    assert (tmp_path / "out" / MAIN_THREAD_SVG).exists()

    old = results()
    del old["samples"]["boot"]["tracker_cold"][0]["bytes_by_url"]
    source.write_text(json.dumps(old))
    with pytest.raises(SystemExit) as exited:
        main([str(source), "--out", str(tmp_path / "old")])
    assert exited.value.code == 1
    assert "lacks bytes_by_url" in capsys.readouterr().err
