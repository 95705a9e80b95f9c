"""Measure the tracker's cost to a host page: ``python3 build.py bench``.

The tracker is a black box here: a storefront page with its script tag, and the
documented ``adTracker.ready``. Every figure is the median of several runs, beside a
baseline measured in the same run (the same page without the tracker, a bare
``loadPyodide()`` from the same dist, a minimal JavaScript click handler), because timings
on shared machines are noisy: compare the ratios and deltas, never raw milliseconds
across machines. The parts:

- ``boot``: plain headless Chromium without DevTools, a fresh profile per run: ready,
  longest main-thread task, TBT, bytes and WebAssembly memory, cold and warm
  (``bench.views``);
- ``network``: a first visit's time to ready over a phone network (10 Mbps / 40 ms and
  1.6 Mbps / 150 ms, paced at the server) against a bare ``loadPyodide()``
  (``bench.network``);
- ``hosts``: a first visit's bytes and requests per file on the three kinds of host
  (``bench.hosts``);
- ``clicks``, ``storage``: the click handler's cost, localStorage after many clicks
  (``bench.clicks``);
- ``lighthouse``: Lighthouse desktop and mobile with and without the tracker
  (``bench.lighthouse``);
- ``phone``: the whole boot at 4× CPU throttling in Chromium: longest task and TBT
  (``bench.phone``);
- ``engines``: Chromium, Firefox ESR and WebKitGTK: cold and warm ready and the largest
  main-thread stall the tracker adds, by a heartbeat (``bench.engine_views``);
- ``soak``: one long SPA session under faults, counted exactly, with its memory growth
  (``bench.soak``; the suite runs a shorter one).

Writes ``bench/results.json`` and ``bench/results.md``, and with ``boot`` the docs'
charts (``bench.charts``) into ``docs/assets/perf/``. A run of ``only`` one part prints
its figures and writes them to ``bench/results-<part>.json`` alone, keeping the full
results; ``python -m bench.charts bench/results-boot.json`` draws the charts from a
``boot`` one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.clicks import CLICK_ROUNDS, click_figures, storage_figures
from bench.engine_views import engine_figures
from bench.hosts import host_figures
from bench.lighthouse import lighthouse_figures
from bench.network import network_figures
from bench.pages import Site
from bench.phone import phone_figures
from bench.report import table
from bench.soak import BENCH, soak_figures
from bench.stats import load_average, machine
from bench.targets import targets
from bench.views import chromium_version, no_cache_next_page_figures, view_figures
from devserver.chromium import launch_options

OUT_DIR = Path(__file__).resolve().parent
PARTS = (
    "boot", "network", "hosts", "clicks", "storage", "lighthouse", "phone", "engines", "soak"
)  # fmt: skip


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _with_playwright(measure: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_options())
        try:
            return measure(browser)
        finally:
            browser.close()


def run(
    dist: Path,
    runs: int = 5,
    clicks: int = 200,
    storage_clicks: int = 10_000,
    only: str | None = None,
    out: Path = OUT_DIR,
    parts: tuple[str, ...] = PARTS,
    charts: Path | None = None,
) -> dict[str, Any]:
    """Measure ``parts`` (or ``only`` that one, written to ``results-<only>.json`` and
    not to the full results), write the results to ``out`` and return them. With
    ``boot``, a full run also draws the charts into ``charts``: by default the docs'
    ``docs/assets/perf/`` when ``out`` is ``bench/``, else ``out`` itself (a run into a
    scratch directory leaves the docs alone)."""
    if only is not None and only not in PARTS:
        raise ValueError(f"only must be one of {PARTS}, not {only!r}")
    chosen = (only,) if only else parts
    load_start = load_average()
    started = time.time()
    site = Site(dist, clicks=clicks)
    figures: dict[str, Any] = {}
    try:
        if "boot" in chosen:
            log(
                f"boot: {runs} fresh profiles × (tracker, bare loadPyodide, no tracker), cold + warm …"
            )
            figures |= view_figures(site, runs)
            log(f"boot: {runs} × the next page on a no-cache host …")
            figures |= no_cache_next_page_figures(dist, runs)
        if "network" in chosen:
            log(f"network: {min(runs, 3)} × (tracker, bare loadPyodide) per network, cold + warm …")
            figures |= network_figures(dist, min(runs, 3))
        if "hosts" in chosen:
            log("hosts: a first visit on each kind of host (advised, no-cache, plain) …")
            figures |= host_figures(dist)
        if "clicks" in chosen or "storage" in chosen:
            log("clicks / storage (Playwright) …")

            def measure(browser: Any) -> dict[str, Any]:
                got: dict[str, Any] = {}
                if "clicks" in chosen:
                    # A run of one (the suite's smoke test) makes one round.
                    got |= click_figures(site, browser, clicks, min(runs, CLICK_ROUNDS))
                if "storage" in chosen:
                    got |= storage_figures(site, browser, storage_clicks)
                return got

            figures |= _with_playwright(measure)
        if "lighthouse" in chosen:
            log(f"lighthouse: {runs} × (desktop, mobile) × (with, without) …")
            figures |= lighthouse_figures(site.url, runs)
        if "phone" in chosen:
            log(f"phone: {runs} × (tracker, no tracker) × cold + warm at 4× CPU throttling …")
            figures |= phone_figures(site, runs)
        if "engines" in chosen:
            log(
                f"engines: {runs} fresh origins × (tracker, no tracker) × cold + warm, per engine …"
            )
            figures |= engine_figures(dist, runs, lambda m: log(m))
        if "soak" in chosen:
            log(f"soak: one SPA session of {BENCH.rounds} rounds under faults (once) …")
            figures |= _with_playwright(lambda browser: soak_figures(site, browser))
    finally:
        site.close()
    samples = {
        k.removeprefix("samples_"): figures.pop(k)
        for k in list(figures)
        if k.startswith("samples_")
    }
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),  # the end
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "runs": runs,
        "parts": list(chosen),
        "seconds": round(time.time() - started, 1),
        "machine": {
            **machine(chromium_version()),
            "load_average_start": load_start,
            "load_average_end": load_average(),
        },
        "figures": figures,
        "targets": targets(figures),
        "samples": samples,  # every run's own figures, to judge the noise
    }
    out.mkdir(parents=True, exist_ok=True)
    if only is not None:  # a partial run: print it, keep the full results file
        print(json.dumps(figures, indent=2))
        partial = out / f"results-{only}.json"
        partial.write_text(json.dumps(results, indent=2) + "\n")
        log(f"wrote {partial} (the full results are untouched)")
        if only == "boot":
            log(f"draw the charts from it: python -m bench.charts {partial}")
        return results
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(table(results) + "\n")
    print(table(results))
    if "boot" in chosen:
        from bench.charts import CHARTS_DIR, write_charts

        for path in write_charts(results, charts or (CHARTS_DIR if out == OUT_DIR else out)):
            log(f"wrote {path}")
    return results
