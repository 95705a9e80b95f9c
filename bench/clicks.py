"""The click handler's cost against a JavaScript baseline, at desktop and phone CPU
speeds, and localStorage after many clicks: driven with Playwright (these figures are
synchronous handler times and storage sizes, which the DevTools connection does not
change)."""

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


#: Rounds of (tracker, JS handler) per CPU speed, interleaved so that a change in the
#: machine's load falls on both.
CLICK_ROUNDS = 3
#: CPU speeds: a desktop, and a phone (DevTools' CPU throttling, as the ``phone`` part).
CPU_RATES = (1, 4)


def _click_times(site: Site, browser: Any, impl: str, clicks: int, rate: int) -> list[float]:
    context = browser.new_context()
    try:
        page = context.new_page()
        site.collector.clear()
        page.goto(site.url(f"/clicks/{impl}.html"))
        if impl == "py":
            page.evaluate("() => adTracker.ready")
        if rate > 1:
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
        times = page.evaluate(MEASURE_CLICKS, clicks)
        got = len(site.collector.wait_for(clicks, timeout=60 * rate))
    finally:
        context.close()
    if got != clicks:
        raise RuntimeError(f"{impl}: the collector got {got} of {clicks} clicks")
    return times


def click_figures(
    site: Site, browser: Any, clicks: int, rounds: int = CLICK_ROUNDS
) -> dict[str, Any]:
    """The click handler's synchronous time against a hand-written JS handler, at each
    CPU speed: medians and p99 over every round's clicks, and each round's ratio."""
    out: dict[str, Any] = {}
    for rate in CPU_RATES:
        times: dict[str, list[float]] = {"py": [], "js": []}
        ratios = []
        for _ in range(rounds):
            got = {impl: _click_times(site, browser, impl, clicks, rate) for impl in times}
            for impl, t in got.items():
                times[impl] += t
            ratios.append(median(got["py"]) / max(median(got["js"]), 1e-3))
        py, js = times["py"], times["js"]
        tag = "" if rate == 1 else f"_{rate}x"
        out |= {
            f"click{tag}_median_ms": median(py),
            f"click{tag}_p99_ms": p99(py),
            f"click{tag}_js_median_ms": median(js),
            f"click{tag}_js_p99_ms": p99(js),
            f"click{tag}_over_js_median": median(py) / max(median(js), 1e-3),
            f"click{tag}_over_js_rounds": [round(r, 2) for r in ratios],
        }
    out["clicks_measured"] = clicks  # per round, per handler, per CPU speed
    out["click_rounds"] = rounds
    return out


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
