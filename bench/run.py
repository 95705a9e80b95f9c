"""Measure the tracker's cost to a host page in headless Chromium.

Every figure is the median of several runs, and is reported beside a baseline measured
in the same run (a bare ``loadPyodide()``, a minimal JavaScript click handler), because
timings on shared machines are noisy: the ratios are what to compare, never the raw
milliseconds across machines. Writes ``bench/results.json`` and ``bench/results.md``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from devserver import Collector, StaticServer
from devserver.chromium import launch_options

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "bench"
BOOT_TIMEOUT_MS = 120_000

# Captures the WebAssembly memory Pyodide creates, and every long task (harness only).
INIT_SCRIPT = """
(() => {
  window.__longtasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (_) {}
  const keep = (result, imports) => {
    const exp = result && (result.instance || result).exports;
    window.__wasmMemory = (exp && exp.memory) || (imports && imports.env && imports.env.memory) || window.__wasmMemory;
    return result;
  };
  const is = WebAssembly.instantiateStreaming, i = WebAssembly.instantiate;
  if (is) WebAssembly.instantiateStreaming = (s, imports) => is(s, imports).then((r) => keep(r, imports));
  WebAssembly.instantiate = (b, imports) => i(b, imports).then((r) => keep(r, imports));
})();
"""


def _page(head: str, body: str = "") -> str:
    return f'<!doctype html><html><head><meta charset="utf-8"><title>bench</title>{head}</head><body>{body}</body></html>'


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
        if ordered
        else float("nan")
    )


def _machine(browser_version: str) -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        mem_kib = int(
            next(
                line
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            ).split()[1]
        )
        mem_gib = round(mem_kib / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "browser": browser_version,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


class Bench:
    def __init__(self, dist: Path, runs: int, clicks: int, storage_clicks: int) -> None:
        self.dist = dist
        self.runs = runs
        self.clicks = clicks
        self.storage_clicks = storage_clicks
        self.collector = Collector().start()
        self.site = StaticServer(dist, mount="/dist/", cache="production").start()
        c = self.collector.origin
        tag = f'<script async src="/dist/tracker.js" data-beacon-origins="{c}"></script>'
        self.site.add_page(
            "/bench/tracker.html",
            _page(
                tag, '<div id="ad" data-ad-click-url="' + c + '/v1/beacon/click/bench-0">ad</div>'
            ),
        )
        runtime = next(p.name for p in dist.glob("r-*") if p.is_dir())
        bare = (
            "<script type=module>"
            "window.addEventListener('load', async () => {"
            f" const base = new URL('/dist/{runtime}/', location).href;"
            " performance.mark('bare:boot');"
            " const m = await import(base + 'pyodide.mjs');"
            " await m.loadPyodide({indexURL: base, packageBaseUrl: base, lockFileURL: base + 'pyodide-lock.json', stdout: () => {}});"
            " performance.mark('bare:ready');"
            " window.__bareDone = true;"
            "});</script>"
        )
        self.site.add_page("/bench/bare.html", _page(bare))
        ads = "".join(
            f'<div data-ad-click-url="{c}/v1/beacon/click/ad-{{impl}}-{i}?pos={i}">ad {i}</div>'
            for i in range(clicks)
        )
        self.site.add_page("/bench/clicks-py.html", _page(tag, ads.replace("{impl}", "py")))
        js_handler = (
            "<script>document.addEventListener('click', function (e) {"
            " var ad = e.target.closest && e.target.closest('[data-ad-click-url]'); if (!ad) return;"
            " fetch(ad.getAttribute('data-ad-click-url'), {method: 'POST', keepalive: true,"
            " headers: {accept: 'application/json', 'content-type': 'application/json'},"
            " body: JSON.stringify({user_id: 'u', session_id: 's'})});"
            "}, {capture: true, passive: true});</script>"
        )
        self.site.add_page("/bench/clicks-js.html", _page(js_handler, ads.replace("{impl}", "js")))

    def close(self) -> None:
        self.site.stop()
        self.collector.stop()

    # --- (a) ready, (c) long tasks, (d) bytes, (f) memory --------------------------------------

    def boot_figures(self, browser: Any) -> dict[str, Any]:
        cold_ready, warm_ready, cold_bare, warm_bare = [], [], [], []
        cold_bytes, warm_bytes, warm_requests, warm_revalidations = [], [], [], []
        long_before_load, tbt, memory = [], [], []
        for _ in range(self.runs):
            for name in ("tracker", "bare"):
                context = browser.new_context()
                context.add_init_script(INIT_SCRIPT)
                page = context.new_page()
                for phase in ("cold", "warm"):
                    if phase == "cold":
                        page.goto(self.site.url(f"/bench/{name}.html"))
                    else:
                        page.goto("about:blank")
                        page.goto(self.site.url(f"/bench/{name}.html"))
                    if name == "tracker":
                        ms = page.evaluate(
                            "() => adTracker.ready.then(() => { const b = performance.getEntriesByName('adtracker:boot')[0]; const r = performance.getEntriesByName('adtracker:ready')[0]; return r.startTime - b.startTime; })"
                        )
                        (cold_ready if phase == "cold" else warm_ready).append(ms)
                    else:
                        page.wait_for_function(
                            "() => window.__bareDone === true", timeout=BOOT_TIMEOUT_MS
                        )
                        ms = page.evaluate(
                            "() => performance.getEntriesByName('bare:ready')[0].startTime - performance.getEntriesByName('bare:boot')[0].startTime"
                        )
                        (cold_bare if phase == "cold" else warm_bare).append(ms)
                        continue
                    stats = page.evaluate(
                        """() => {
                          const res = performance.getEntriesByType('resource').filter((e) => e.name.includes('/dist/'));
                          const nav = performance.getEntriesByType('navigation')[0];
                          const boot = performance.getEntriesByName('adtracker:boot')[0].startTime;
                          const ready = performance.getEntriesByName('adtracker:ready')[0].startTime;
                          const tasks = window.__longtasks || [];
                          return {
                            bytes: res.reduce((s, e) => s + e.transferSize, 0),
                            requests: res.filter((e) => e.transferSize > 0).length,
                            revalidations: res.filter((e) => e.transferSize > 0 && e.encodedBodySize > 0 && e.transferSize < 1000).length,
                            longBeforeLoad: tasks.filter(([s]) => s < nav.loadEventStart).length,
                            tbt: tasks.filter(([s, d]) => s + d > boot && s < ready).reduce((t, [, d]) => t + Math.max(0, d - 50), 0),
                            memory: window.__wasmMemory ? window.__wasmMemory.buffer.byteLength : null,
                          };
                        }"""
                    )
                    if phase == "cold":
                        cold_bytes.append(stats["bytes"])
                        long_before_load.append(stats["longBeforeLoad"])
                        tbt.append(stats["tbt"])
                        memory.append(stats["memory"])
                    else:
                        warm_bytes.append(stats["bytes"])
                        warm_requests.append(stats["requests"])
                        warm_revalidations.append(stats["revalidations"])
                context.close()
        return {
            "ready_cold_ms": _median(cold_ready),
            "ready_warm_ms": _median(warm_ready),
            "bare_cold_ms": _median(cold_bare),
            "bare_warm_ms": _median(warm_bare),
            "ready_over_bare_cold": _median(cold_ready) / _median(cold_bare),
            "ready_over_bare_warm": _median(warm_ready) / _median(warm_bare),
            "long_tasks_before_load": max(long_before_load),
            "boot_total_blocking_time_ms": _median(tbt),
            "bytes_cold": _median(cold_bytes),
            "bytes_warm": _median(warm_bytes),
            "warm_requests_with_bytes": max(warm_requests),
            "wasm_memory_bytes": _median([m for m in memory if m is not None]),
        }

    # --- (b) click-handler cost -----------------------------------------------------------------

    def click_figures(self, browser: Any) -> dict[str, Any]:
        measure = """async (n) => {
          const ads = Array.from(document.querySelectorAll('[data-ad-click-url]')).slice(0, n);
          const times = [];
          for (const ad of ads) {
            const t0 = performance.now();
            ad.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}));
            times.push(performance.now() - t0);
            await new Promise((r) => setTimeout(r, 4));
          }
          return times;
        }"""
        out: dict[str, list[float]] = {"py": [], "js": []}
        for impl in ("py", "js"):
            context = browser.new_context()
            page = context.new_page()
            self.collector.clear()
            page.goto(self.site.url(f"/bench/clicks-{impl}.html"))
            if impl == "py":
                page.evaluate("() => adTracker.ready")
            out[impl] = page.evaluate(measure, self.clicks)
            got = len(self.collector.wait_for(self.clicks, timeout=60))
            if got != self.clicks:
                raise RuntimeError(f"{impl}: the collector got {got} of {self.clicks} clicks")
            context.close()
        py, js = out["py"], out["js"]
        return {
            "click_median_ms": _median(py),
            "click_p99_ms": _p99(py),
            "click_js_median_ms": _median(js),
            "click_js_p99_ms": _p99(js),
            "click_over_js_median": _median(py) / max(_median(js), 1e-3),
            "clicks_measured": len(py),
        }

    # --- (e) storage ----------------------------------------------------------------------------

    def storage_figures(self, browser: Any) -> dict[str, Any]:
        context = browser.new_context()
        page = context.new_page()
        self.collector.clear()
        page.goto(self.site.url("/bench/tracker.html"))
        page.evaluate("() => adTracker.ready")
        c = self.collector.origin
        batch = 100
        for start in range(0, self.storage_clicks, batch):
            page.evaluate(
                "([c, a, b]) => { for (let i = a; i < b; i++) adTracker.push(['click', c + '/v1/beacon/click/s-' + i]); }",
                [c, start, min(start + batch, self.storage_clicks)],
            )
            self.collector.wait_for(min(start + batch, self.storage_clicks), timeout=30)
        page.wait_for_timeout(500)
        used = page.evaluate(
            "() => Object.keys(localStorage).filter((k) => k.startsWith('adtracker:')).reduce((s, k) => s + 2 * (k.length + localStorage.getItem(k).length), 0)"
        )
        received = len(self.collector.accepted())
        context.close()
        return {
            "storage_bytes_after_clicks": used,
            "storage_clicks": self.storage_clicks,
            "storage_clicks_delivered": received,
        }


TARGETS = [
    ("ready_over_bare_warm", "<=", 1.15, "ready (warm) / bare Pyodide boot"),
    ("click_median_ms", "<=", 1.0, "click handler median (ms)"),
    ("click_over_js_median", "<=", 10.0, "click handler / JS baseline (median)"),
    ("long_tasks_before_load", "<=", 0, "tracker long tasks before the load event"),
    ("bytes_warm", "<=", 50_000, "warm transfer (bytes)"),
    (
        "warm_requests_with_bytes",
        "<=",
        1,
        "warm requests that moved bytes (tracker.js revalidation only)",
    ),
    ("storage_bytes_after_clicks", "<=", 64 * 1024, "localStorage after 10,000 clicks (bytes)"),
]


def table(results: dict[str, Any]) -> str:
    f = results["figures"]
    m = results["machine"]
    rows = [
        (
            "(a) ready, cold",
            f"{f['ready_cold_ms']:.0f} ms",
            f"bare loadPyodide {f['bare_cold_ms']:.0f} ms",
            f"{f['ready_over_bare_cold']:.2f}×",
        ),
        (
            "(a) ready, warm",
            f"{f['ready_warm_ms']:.0f} ms",
            f"bare loadPyodide {f['bare_warm_ms']:.0f} ms",
            f"{f['ready_over_bare_warm']:.2f}×",
        ),
        (
            "(b) click handler, median",
            f"{f['click_median_ms']:.3f} ms",
            f"JS handler {f['click_js_median_ms']:.3f} ms",
            f"{f['click_over_js_median']:.1f}×",
        ),
        (
            "(b) click handler, p99",
            f"{f['click_p99_ms']:.3f} ms",
            f"JS handler {f['click_js_p99_ms']:.3f} ms",
            "",
        ),
        ("(c) long tasks before load", f"{f['long_tasks_before_load']}", "", ""),
        ("(c) TBT during boot", f"{f['boot_total_blocking_time_ms']:.0f} ms", "", ""),
        ("(d) bytes, cold", f"{f['bytes_cold'] / 1e6:.2f} MB", "", ""),
        (
            "(d) bytes, warm",
            f"{f['bytes_warm'] / 1e3:.1f} kB",
            f"{f['warm_requests_with_bytes']} request(s) moved bytes",
            "",
        ),
        (
            f"(e) localStorage after {f['storage_clicks']:,} clicks",
            f"{f['storage_bytes_after_clicks'] / 1024:.1f} KiB",
            "",
            "",
        ),
        ("(f) WebAssembly memory after boot", f"{f['wasm_memory_bytes'] / 2**20:.0f} MiB", "", ""),
    ]
    lines = [
        f"Median of {results['runs']} runs ({f['clicks_measured']} clicks for (b)); {m['cpu']}, {m['cores']} cores, {m['browser']}.",
        "",
        "| figure | tracker | baseline (same run) | ratio |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for key, _op, limit, label in TARGETS:
        value = f[key]
        met = value <= limit
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        lines.append(f"| {label} ≤ {limit:g} | {shown} | {'yes' if met else 'no'} |")
    return "\n".join(lines)


def run(
    dist: Path,
    runs: int = 5,
    clicks: int = 200,
    storage_clicks: int = 10_000,
    only: str | None = None,
    out: Path = OUT_DIR,
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    bench = Bench(dist, runs, clicks, storage_clicks)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(**launch_options())
            started = time.time()
            parts = {
                "boot": bench.boot_figures,
                "clicks": bench.click_figures,
                "storage": bench.storage_figures,
            }
            figures: dict[str, Any] = {}
            for name, measure in parts.items():
                if only in (None, name):
                    figures.update(measure(browser))
            if only is not None:  # a partial run: print it, keep the full results file
                print(json.dumps(figures, indent=2))
                browser.close()
                return {"figures": figures}
            results = {
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "runs": runs,
                "seconds": round(time.time() - started, 1),
                "machine": _machine(f"Chromium {browser.version}"),
                "figures": figures,
                "targets": {
                    key: {"limit": limit, "met": figures[key] <= limit}
                    for key, _, limit, _ in TARGETS
                },
            }
            browser.close()
    finally:
        bench.close()
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(table(results) + "\n")
    print(table(results))
    return results
