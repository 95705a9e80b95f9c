"""Lighthouse desktop and mobile, with and without the tracker, on the same storefront page.

Runs ``bench/lighthouse.mjs`` with Node and the ``lighthouse`` that ``npm ci`` installed in
``web/node_modules`` (pinned in ``web/package.json``), against the same Chromium as the
rest of the benchmark. Lighthouse's own throttling applies (desktop: its desktop preset;
mobile: its default, a mid-range phone on slow 4G); the dist is served compressed and
cached like a CDN would (``bench.pages.Site``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.stats import median
from bench.views import chromium_path
from devserver.chromium import LAUNCH_ARGS

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
SCRIPT = Path(__file__).with_name("lighthouse.mjs")
FORM_FACTORS = ("desktop", "mobile")
VARIANTS = {"with": "/store/tracker.html", "without": "/store/plain.html"}
#: What each run reports (see lighthouse.mjs), and the medians the benchmark keeps.
KEYS = (
    "score",
    "tbt_ms",
    "longest_task_ms",
    "observed_longest_task_ms",
    "long_tasks",
    "main_thread_ms",
    "total_bytes",
)
RUN_TIMEOUT_S = 240


def lighthouse_runs(runs: list[dict[str, str]]) -> list[dict[str, Any]]:
    """One Lighthouse result per ``{url, formFactor, label}``, in order."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Lighthouse needs Node.js (it comes with npm)")
    if not (WEB / "node_modules" / "lighthouse").is_dir():
        raise RuntimeError("web/node_modules has no lighthouse: run `python3 build.py` (npm ci)")
    spec = {
        "webDir": str(WEB),
        "chromePath": chromium_path(),
        "chromeFlags": LAUNCH_ARGS,
        "runs": runs,
    }
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-lighthouse-") as tmp:
        spec_file, errors = Path(tmp) / "spec.json", Path(tmp) / "stderr.txt"
        spec_file.write_text(json.dumps(spec))
        with errors.open("w") as err:
            proc = subprocess.Popen(
                [node, str(SCRIPT), str(spec_file)], stdout=subprocess.PIPE, stderr=err, text=True
            )
            try:
                for line in proc.stdout or ():
                    if line.startswith("{"):
                        results.append(json.loads(line))
                        r = results[-1]
                        print(
                            f"[bench]   lighthouse {len(results)}/{len(runs)} {r['label']}: "
                            f"score {r['score']}, TBT {r['tbt_ms']:.0f} ms",
                            flush=True,
                        )
                proc.wait(timeout=RUN_TIMEOUT_S)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        if proc.returncode != 0 or len(results) != len(runs):
            raise RuntimeError(
                f"Lighthouse failed ({proc.returncode}): {errors.read_text()[-2000:]}"
            )
    for r in results:
        if r["runtime_error"] or r["score"] is None:
            raise RuntimeError(f"Lighthouse {r['label']}: {r['runtime_error'] or 'no score'}")
    return results


def lighthouse_figures(url: Any, runs: int) -> dict[str, Any]:
    """Medians per form factor and variant, and the deltas (with − without).

    ``url`` maps a page path to its full URL. Runs alternate with/without so that the
    machine's load drifts over both alike."""
    plan = [
        {"url": url(path), "formFactor": ff, "label": f"{ff}_{variant}"}
        for _ in range(runs)
        for ff in FORM_FACTORS
        for variant, path in VARIANTS.items()
    ]
    results = lighthouse_runs(plan)
    figures: dict[str, Any] = {}
    for ff in FORM_FACTORS:
        for variant in VARIANTS:
            mine = [r for r in results if r["label"] == f"{ff}_{variant}"]
            for key in KEYS:
                values = [r[key] for r in mine if r[key] is not None]
                figures[f"lh_{ff}_{variant}_{key}"] = median(values)
            warnings = sorted({w for r in mine for w in r["warnings"]})
            if warnings:
                figures[f"lh_{ff}_{variant}_warnings"] = warnings
        for key in KEYS:
            figures[f"lh_{ff}_delta_{key}"] = (
                figures[f"lh_{ff}_with_{key}"] - figures[f"lh_{ff}_without_{key}"]
            )
        figures[f"lh_{ff}_score_drop"] = -figures[f"lh_{ff}_delta_score"]
        # Run by run (the plan alternates with/without): the worst pair, since a median
        # hides the one run in five that saw the restore.
        pairs = zip(
            [r["score"] for r in results if r["label"] == f"{ff}_without"],
            [r["score"] for r in results if r["label"] == f"{ff}_with"],
            strict=True,
        )
        drops = [a - b for a, b in pairs if a is not None and b is not None]
        figures[f"lh_{ff}_worst_score_drop"] = max(drops) if drops else float("nan")
    figures["samples_lighthouse"] = results
    return figures
