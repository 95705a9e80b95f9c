"""A phone's CPU: the whole boot in Chromium with the CPU throttled 4× (DevTools'
``Emulation.setCPUThrottlingRate``, the rate Lighthouse's mobile preset simulates).

Lighthouse stops watching once the page looks quiet, so whether its mobile run sees the
restore depends on timing; here the long tasks are counted from navigation until 1 s after
``adTracker.ready`` (or the load event on the page without the tracker), cold (a fresh
browser context) and warm (the same page again once the snapshot is cached). Playwright
attaches DevTools, which the throttling needs; the ``boot`` part measures without it.
"""

from __future__ import annotations

from typing import Any

from bench.pages import Site
from bench.stats import median
from devserver.chromium import launch_options

RATE = 4
AFTER_READY_MS = 1000

LONG_TASKS = """
window.__lt = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) __lt.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
} catch (_) {}
"""

MEASURE = """async (after) => {
  let readyAt;
  if (window.adTracker) {
    await adTracker.ready;
    readyAt = performance.now();
  } else {
    if (document.readyState !== "complete") await new Promise((r) => addEventListener("load", r));
    readyAt = performance.getEntriesByType("navigation")[0].loadEventStart;
  }
  await new Promise((r) => setTimeout(r, after));
  for (let k = 0; k < 300; k++) {  // the warm view needs the snapshot cached first
    const marks = performance.getEntriesByType("mark").map((m) => m.name);
    if (!window.adTracker || marks.some((n) => /snapshot-(not-)?stored|normal-boot/.test(n))
        || performance.getEntriesByName("adtracker:snapshot-restored")[0]?.detail === "cache") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tasks = __lt.filter(([s]) => s < readyAt + after);
  return {
    ready_ms: Math.round(readyAt),
    longest_task_ms: Math.round(Math.max(0, ...tasks.map(([, d]) => d))),
    tbt_ms: Math.round(tasks.reduce((t, [, d]) => t + Math.max(0, d - 50), 0)),
    tasks: tasks.map(([s, d]) => [Math.round(s), Math.round(d)]),
  };
}"""


def phone_figures(site: Site, runs: int) -> dict[str, Any]:
    """Longest task and TBT at 4× CPU, tracker and plain page, cold and warm, medians."""
    from playwright.sync_api import sync_playwright

    got: dict[str, list[dict[str, Any]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(**launch_options())
        try:
            for _ in range(runs):
                for name in ("tracker", "plain"):
                    context = browser.new_context()
                    try:
                        context.add_init_script(LONG_TASKS)
                        page = context.new_page()
                        cdp = context.new_cdp_session(page)
                        cdp.send("Emulation.setCPUThrottlingRate", {"rate": RATE})
                        for phase in ("cold", "warm"):
                            page.goto(site.url(f"/store/{name}.html"))
                            view = page.evaluate(MEASURE, AFTER_READY_MS)
                            got.setdefault(f"{name}_{phase}", []).append(view)
                    finally:
                        context.close()
                print(
                    "[bench]   phone: longest task "
                    f"{got['tracker_cold'][-1]['longest_task_ms']} / "
                    f"{got['tracker_warm'][-1]['longest_task_ms']} ms, TBT "
                    f"{got['tracker_cold'][-1]['tbt_ms']} / {got['tracker_warm'][-1]['tbt_ms']} ms "
                    "(cold / warm)",
                    flush=True,
                )
        finally:
            browser.close()
    figures: dict[str, Any] = {"phone_cpu_rate": RATE, "samples_phone": got}
    for phase in ("cold", "warm"):
        for key in ("longest_task_ms", "tbt_ms", "ready_ms"):
            figures[f"phone_{key.removesuffix('_ms')}_{phase}_ms"] = median(
                [v[key] for v in got[f"tracker_{phase}"]]
            )
            figures[f"phone_plain_{key.removesuffix('_ms')}_{phase}_ms"] = median(
                [v[key] for v in got[f"plain_{phase}"]]
            )
    return figures
