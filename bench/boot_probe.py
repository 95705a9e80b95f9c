"""Boot probe: the tracker's start-up on the page, cold and warm, against a bare
``loadPyodide()`` from the same dist, in plain headless Chromium (no DevTools attached).

Run from the repository root after ``python3 build.py``::

    .venv/bin/python -m bench.boot_probe [runs]

For each run and each page (the tracker, then bare Pyodide) a fresh browser context
loads the page three times: ``cold`` (empty HTTP cache and Cache Storage), then
``warm`` and ``warm2``. Before leaving a tracker page made from a fresh snapshot it
waits until the Worker reports whether it cached it (a shopper's page view lasts
longer than that). It prints one JSON line per page view: ready (ms from the
loader's boot mark), the longest main-thread task and TBT between boot and 300 ms
after ready (``longtask`` PerformanceObserver), the brotli bytes the server sent,
WebAssembly memory, the boot path and the restore's marks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from devserver import Collector, StaticServer
from devserver.chromium import launch_options

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"

INIT_SCRIPT = """
window.__lt = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) __lt.push([e.startTime, e.duration]); })
  .observe({ type: "longtask", buffered: true });
(() => {
  const keep = (r, imports) => {
    const exp = r && (r.instance || r).exports;
    window.__wasmMemory = (exp && exp.memory) || (imports && imports.env && imports.env.memory) || window.__wasmMemory;
    return r;
  };
  const is = WebAssembly.instantiateStreaming, i = WebAssembly.instantiate;
  WebAssembly.instantiateStreaming = (s, im) => is(s, im).then((r) => keep(r, im));
  WebAssembly.instantiate = (b, im) => i(b, im).then((r) => keep(r, im));
})();
"""

STATS = """async () => {
  const mark = (n) => performance.getEntriesByName("adtracker:" + n)[0];
  if (window.adTracker) {
    try { await adTracker.ready; } catch (e) { return { error: String(e) }; }
  } else {
    while (!window.__bareDone) await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300));
  for (let k = 0; k < 600 && mark("snapshot-restored")?.detail === "worker"
       && !mark("snapshot-settled"); k++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const boot = mark("boot").startTime;
  const ready = mark("ready").startTime;
  const lt = __lt.filter(([s, d]) => s + d > boot && s < ready + 300);
  return {
    ready: Math.round(ready - boot),
    longest: Math.round(Math.max(0, ...lt.map((x) => x[1]))),
    tbt: Math.round(lt.reduce((t, [, d]) => t + Math.max(0, d - 50), 0)),
    path: mark("snapshot-restored")?.detail || (mark("normal-boot") ? "normal" : null),
    stored: mark("snapshot-stored")?.detail || null,
    memory: window.__wasmMemory ? window.__wasmMemory.buffer.byteLength : null,
    marks: performance.getEntriesByType("mark").map((m) => [m.name, Math.round(m.startTime - boot)]),
  };
}"""


def served_bytes(site: StaticServer, since: int) -> int:
    """Bytes of the files answered 200 under /dist/ (the .br sibling where one exists)."""
    total = 0
    for request in site.requests()[since:]:
        if request.status != 200 or not request.path.startswith("/dist/"):
            continue
        path = DIST / request.path[len("/dist/") :].split("?")[0]
        brotli = path.with_name(path.name + ".br")
        if path.is_file():
            total += (brotli if brotli.exists() else path).stat().st_size
    return total


def main(runs: int) -> list[dict[str, Any]]:
    collector = Collector().start()
    site = StaticServer(DIST, mount="/dist/", cache="production").start()
    origin = collector.origin
    site.add_page(
        "/probe/tracker.html",
        "<!doctype html><meta charset=utf-8><title>t</title>"
        f'<script async src="/dist/tracker.js" data-beacon-origins="{origin}"></script>'
        f'<div data-ad-click-url="{origin}/v1/beacon/click/probe">ad</div>',
    )
    runtime = (DIST / "RUNTIME").read_text().strip()
    site.add_page(
        "/probe/bare.html",
        "<!doctype html><title>b</title><script type=module>"
        "window.addEventListener('load', async () => {"
        f" const base = new URL('/dist/{runtime}/', location).href;"
        " performance.mark('adtracker:boot');"
        " const m = await import(base + 'pyodide.mjs');"
        " await m.loadPyodide({indexURL: base, packageBaseUrl: base,"
        " lockFileURL: base + 'pyodide-lock.json', stdout: () => {}});"
        " performance.mark('adtracker:ready'); window.__bareDone = true;});</script>",
    )
    out: list[dict[str, Any]] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(**launch_options())
            for run in range(runs):
                for name in ("tracker", "bare"):
                    context = browser.new_context()
                    context.add_init_script(INIT_SCRIPT)
                    page = context.new_page()
                    for phase in ("cold", "warm", "warm2"):
                        page.goto("about:blank")
                        since = len(site.requests())
                        page.goto(site.url(f"/probe/{name}.html"))
                        result = page.evaluate(STATS)
                        result.update(
                            page=name, phase=phase, run=run, bytes=served_bytes(site, since)
                        )
                        print(json.dumps(result), flush=True)
                        out.append(result)
                    context.close()
            browser.close()
    finally:
        site.stop()
        collector.stop()
    return out


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
