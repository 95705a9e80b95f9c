"""Every engine timed: Chromium, Firefox ESR and WebKitGTK, cold and warm.

Only Chromium has the Long Tasks API, so here a heartbeat measures the main thread: a
10 ms timer on the page records the largest gap between its beats, from the page's start
until 2 s after ``adTracker.ready``. The stall the tracker adds is that gap minus the
largest gap of the same storefront page without the tracker (from its start until 2 s
after its load event), both medians over the runs. Ready is ms from navigation start.

Each run is a first-time shopper on a fresh origin (its own servers on fresh ports: no
HTTP cache, no Cache Storage); the warm view opens the same page again once the tracker
said whether it cached its snapshot. The engines are driven as the cross-engine e2e
tests drive them (``tests/e2e/engines``: Playwright, puppeteer-core over WebDriver BiDi,
Selenium with WebKitWebDriver under Xvfb), so the bench and the suite share one way to
reach each browser.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.pages import STORE_CSS, Site, _script, page, store_body
from bench.stats import median

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from engines import Driver  # the e2e tests' drivers: see the docstring

ENGINES = ("chromium", "firefox", "webkit")
SETTLE_MS = 2000
#: How long the warm view waits for the tracker to say whether it cached its snapshot.
STORE_WAIT_S = 30.0

# First in <head>: the heartbeat, and when adTracker.ready (or the load event) settled.
HEARTBEAT = """
(() => {
  const hb = (window.__hb = { last: performance.now(), max: 0, ready: null, error: null });
  (function beat() {
    const now = performance.now();
    if (hb.ready === null || now < hb.ready + __SETTLE__) hb.max = Math.max(hb.max, now - hb.last);
    hb.last = now;
    setTimeout(beat, 10);
  })();
  const tracked = () => document.querySelector("script[src*='tracker.js']");
  window.addEventListener("load", () => {
    if (!tracked()) hb.ready = performance.now();
  });
  const poll = setInterval(() => {
    if (!window.adTracker) return;
    clearInterval(poll);
    adTracker.ready.then(
      () => (hb.ready = performance.now()),
      (err) => { hb.error = String((err && err.message) || err); hb.ready = performance.now(); },
    );
  }, 5);
})();
""".replace("__SETTLE__", str(SETTLE_MS))

MEASURE = """async (settle) => {
  while (window.__hb.ready === null) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, settle + 50));
  const mark = (n) => performance.getEntriesByName("adtracker:" + n)[0];
  const restored = mark("snapshot-restored");
  return {
    ready_ms: Math.round(window.__hb.ready), stall_ms: Math.round(window.__hb.max),
    error: window.__hb.error,
    path: restored ? restored.detail : mark("normal-boot") ? "normal" : null,
  };
}"""

SETTLED = """() => performance.getEntriesByType("mark").some(
  (m) => /^adtracker:(snapshot-(not-)?stored|normal-boot)$/.test(m.name)
  || (m.name === "adtracker:snapshot-restored" && m.detail === "cache"))"""


@contextmanager
def driver_for(engine: str) -> Iterator[Driver]:
    """One browser of ``engine``, as the cross-engine tests start it."""
    if engine == "chromium":
        from engines.playwright_driver import PlaywrightDriver
        from playwright.sync_api import sync_playwright

        from devserver.chromium import launch_options

        with sync_playwright() as p:
            browser = p.chromium.launch(**launch_options())
            try:
                yield PlaywrightDriver(browser)
            finally:
                browser.close()
        return
    if engine == "firefox":
        from engines.puppeteer_driver import PuppeteerDriver

        driver: Driver = PuppeteerDriver.start()
    else:
        from engines.selenium_driver import SeleniumWebKitDriver

        driver = SeleniumWebKitDriver.start()
    try:
        yield driver
    finally:
        driver.quit()


def _views(driver: Driver, url: str, tracked: bool) -> list[dict[str, Any]]:
    """[cold, warm] of ``url`` in the driver's fresh page."""
    driver.new_page()
    try:
        driver.goto(url)
        cold = driver.evaluate(MEASURE, SETTLE_MS)
        if tracked:
            driver.wait_for(SETTLED, timeout=STORE_WAIT_S, what="the snapshot stored or not")
        driver.goto(url)
        warm = driver.evaluate(MEASURE, SETTLE_MS)
    finally:
        driver.close_page()
    for view in (cold, warm):
        if view["error"]:
            raise RuntimeError(f"{driver.engine} {url}: {view['error']}")
    return [cold, warm]


def engine_runs(
    dist: Path, runs: int, engine: str, log: Callable[[str], None]
) -> dict[str, list[dict[str, Any]]]:
    got: dict[str, list[dict[str, Any]]] = {}
    with driver_for(engine) as driver:
        for run in range(runs):
            site = Site(dist)  # fresh ports: a fresh origin, as for a first-time shopper
            try:
                body = store_body(site.collector.origin)
                heartbeat = _script(HEARTBEAT) + f"<style>{STORE_CSS}</style>"
                for name, head in (("tracker", heartbeat + site.tag), ("plain", heartbeat)):
                    site.server.add_page(f"/engines/{name}.html", page(head, body, "Bench Store"))
                    cold, warm = _views(
                        driver, site.url(f"/engines/{name}.html"), name == "tracker"
                    )
                    got.setdefault(f"{name}_cold", []).append(cold)
                    got.setdefault(f"{name}_warm", []).append(warm)
                    log(
                        f"  {engine} {run + 1}/{runs} {name}: ready {cold['ready_ms']} / "
                        f"{warm['ready_ms']} ms, largest gap {cold['stall_ms']} / "
                        f"{warm['stall_ms']} ms ({cold['path']} / {warm['path']})"
                    )
            finally:
                site.close()
    return got


def engine_figures(dist: Path, runs: int, log: Callable[[str], None]) -> dict[str, Any]:
    """Per engine, cold and warm: ready (ms), the largest heartbeat gap with and without
    the tracker, and the stall the tracker adds (with − without), medians over ``runs``."""
    figures: dict[str, Any] = {}
    samples: dict[str, Any] = {}
    for engine in ENGINES:
        got = engine_runs(dist, runs, engine, log)
        samples[engine] = got
        for phase in ("cold", "warm"):

            def med(series: str, key: str, got: dict[str, Any] = got, phase: str = phase) -> float:
                return median([v[key] for v in got[f"{series}_{phase}"]])

            with_, without = med("tracker", "stall_ms"), med("plain", "stall_ms")
            figures |= {
                f"{engine}_ready_{phase}_ms": med("tracker", "ready_ms"),
                f"{engine}_gap_{phase}_ms": with_,
                f"{engine}_plain_gap_{phase}_ms": without,
                f"{engine}_stall_{phase}_ms": max(0.0, with_ - without),
            }
    figures["samples_engines"] = samples
    return figures
