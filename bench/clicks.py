"""The click handler's cost against a JavaScript baseline, and localStorage after many
clicks: driven with Playwright (these figures are synchronous handler times and storage
sizes, which the DevTools connection does not change)."""

from __future__ import annotations

from typing import Any

from bench.pages import Site
from bench.stats import median, p99

MEASURE_CLICKS = """async (n) => {
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

STORAGE_USED = """() => Object.keys(localStorage).filter((k) => k.startsWith('adtracker:'))
  .reduce((s, k) => s + 2 * (k.length + localStorage.getItem(k).length), 0)"""


def click_figures(site: Site, browser: Any, clicks: int) -> dict[str, Any]:
    out: dict[str, list[float]] = {}
    for impl in ("py", "js"):
        context = browser.new_context()
        page = context.new_page()
        site.collector.clear()
        page.goto(site.url(f"/clicks/{impl}.html"))
        if impl == "py":
            page.evaluate("() => adTracker.ready")
        out[impl] = page.evaluate(MEASURE_CLICKS, clicks)
        got = len(site.collector.wait_for(clicks, timeout=60))
        context.close()
        if got != clicks:
            raise RuntimeError(f"{impl}: the collector got {got} of {clicks} clicks")
    py, js = out["py"], out["js"]
    return {
        "click_median_ms": median(py),
        "click_p99_ms": p99(py),
        "click_js_median_ms": median(js),
        "click_js_p99_ms": p99(js),
        "click_over_js_median": median(py) / max(median(js), 1e-3),
        "clicks_measured": len(py),
    }


def storage_figures(site: Site, browser: Any, storage_clicks: int) -> dict[str, Any]:
    context = browser.new_context()
    page = context.new_page()
    site.collector.clear()
    page.goto(site.url("/storage.html"))
    page.evaluate("() => adTracker.ready")
    c = site.collector.origin
    batch = 100
    for start in range(0, storage_clicks, batch):
        end = min(start + batch, storage_clicks)
        page.evaluate(
            "([c, a, b]) => { for (let i = a; i < b; i++) adTracker.push(['click', c + '/v1/beacon/click/s-' + i]); }",
            [c, start, end],
        )
        site.collector.wait_for(end, timeout=30)
    page.wait_for_timeout(500)
    used = page.evaluate(STORAGE_USED)
    received = len(site.collector.accepted())
    context.close()
    return {
        "storage_bytes_after_clicks": used,
        "storage_clicks": storage_clicks,
        "storage_clicks_delivered": received,
    }
