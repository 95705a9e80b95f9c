"""A long shopping session: one SPA page open through thousands of route changes, ads
inserted and removed, clicks, impressions and views, while the collector fails (5xx
storms, answers slower than the request timeout, dropped connections), the network
flaps offline and online, and a second tab shops beside it.

The suite runs a bounded one (tests/e2e/test_soak.py, ``SUITE``); the benchmark's
``soak`` part a longer one (``BENCH``) and reports its figures. This module drives the
session and records what happened; ``bench.soak_report`` counts it:

- every event the rules allow was accepted by the collector exactly once, and nothing
  else was: the expected URLs come from the plan (unique per ad), not from the page.
  The one allowed exception is the documented trade-off (docs/guarantees.md): an
  attempt the tracker reported ``failed`` whose fate is unknown (it timed out, or the
  connection went down under it) may have been counted, and is resent inside VTEX's
  dedup window, which absorbs the copy. Those copies are counted by cause;
- how long after each outage ended every event it held back was accepted (the drain),
  against the bound the delivery policy gives (``adtracker.delivery.recovery``);
- localStorage holds no more than the documented bounds (adtracker/base/limits.py);
- JS heap and WebAssembly memory growth from the end of the first round to the end
  (after a forced garbage collection, through DevTools; the WebAssembly memory as part
  of the ArrayBuffer backing stores) are measured, in bytes;
- no page error.

Chromium only: the memory figures need DevTools (``Runtime.getHeapUsage``), which reads
them without a hook in the product.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adtracker.base import keys
from adtracker.base.limits import MAX_OUTBOX_ENTRIES
from adtracker.delivery.recovery import drain_bound
from bench.soak_report import Expected, Session, figures

#: data-request-timeout of the soak page, and the delay of its slow answers, just past it.
#: At 2 s (the soak's timeout until 2026-12-07), this machine's own stalls made copies
#: the session did not plan: with the CPU busy (another browser, or two busy loops), the
#: collector, a Python server in the test's process, took up to 2.9 s to read ordinary
#: requests, and 13 and 19 of them timed out and were sent again (2026-12-07, two runs).
#: Those copies are the documented trade-off, but not the one the session counts
#: (``slow answers``), so the suite failed now and then. With 5 s, the same load gave only
#: the slow answers' copies.
REQUEST_TIMEOUT_S = 5
SLOW_S = 6.0
#: A new ad with an impression URL every this many route changes.
IMPRESSION_EVERY = 5
#: Every this many clicks, the same ad is clicked twice (the second is deduplicated).
REPEAT_EVERY = 10
#: Once the collector answers again, every event that waited is attempted and answered
#: within this (the delivery policy's bound for a full outbox, not a guess).
DRAIN_S = drain_bound(MAX_OUTBOX_ENTRIES, REQUEST_TIMEOUT_S)
#: Waited after the drain before counting exactly (a double would show by then).
AFTER_DRAIN_S = 3.0


@dataclass(frozen=True)
class Plan:
    rounds: int
    routes: int  # route changes per round
    clicks: int  # per round
    views: int  # banners viewed per round (at most VIEWS_AT_ONCE at a time)
    tab2_clicks: int  # the second tab's clicks (once, in the second round)


#: The suite's: 8,000 route changes, 1,600 impressions, 830 clicks, 192 views.
SUITE = Plan(rounds=8, routes=1000, clicks=100, views=24, tab2_clicks=30)
#: The benchmark's: four times as many rounds.
BENCH = Plan(rounds=32, routes=1000, clicks=100, views=24, tab2_clicks=30)

#: Growth allowed from the end of the first round to the end, after a full GC (the
#: suite's bound; the benchmark reports its own against it). The tracker's state is
#: bounded (marks, outbox, waiting events): what grows past these is a leak. Measured
#: on 2026-12-02 (SUITE, 2 cores): 0.1–0.5 MB of JS heap, no WebAssembly growth.
MAX_JS_HEAP_GROWTH = 2 << 20
MAX_WASM_GROWTH = 4 << 20

#: The faults, one per round, in turn: (name, collector fault or None for offline).
FAULTS: tuple[tuple[str, dict[str, Any] | None], ...] = (
    ("5xx storm", {"match": "/v1/beacon/", "status": 503, "times": 25}),
    # Accepted, but answered after the request timeout: the one honest source of copies.
    ("slow answers", {"match": "/v1/beacon/click/", "status": 202, "times": 3, "delay": SLOW_S}),
    ("dropped connections", {"match": "/v1/beacon/", "status": 0, "times": 4}),
    ("offline flapping", None),
)
FLAPS = 3
TABS = 2

#: The page's side: routes, clicks and views, each awaiting the tracker's decisions.
_PAGE_JS = Path(__file__).with_name("soak_page.js").read_text(encoding="utf-8")
INSTALL = "\n".join(line for line in _PAGE_JS.splitlines() if not line.startswith("//"))

OUTBOX_EMPTY = (
    f"""() => !Object.keys(localStorage).some((k) => k.startsWith("{keys.OUTBOX_PREFIX}"))"""
)
STORAGE = """() => Object.keys(localStorage).filter((k) => k.startsWith('adtracker:'))
  .map((k) => [k, localStorage.getItem(k).length])"""


@dataclass
class Recorder:
    """What the session did, for ``bench.soak_report``: the rounds' spans, when each
    offline spell ended, and what each tab held back."""

    rounds: list[tuple[str, float, float]] = field(default_factory=list)
    online_at: list[float] = field(default_factory=list)
    held: list[list[Any]] = field(default_factory=list)


#: The tracker's start-up is over: the Worker said its cache work is done, or there was
#: no Worker (the ordinary boot).
START_UP_OVER = """() => performance.getEntriesByName("adtracker:snapshot-settled").length > 0
  || performance.getEntriesByName("adtracker:normal-boot").length > 0"""


def _expect_round(expected: Expected, r: int, plan: Plan) -> None:
    for i in range(0, plan.routes, IMPRESSION_EVERY):
        expected.add("impression", f"r{r}-{i}")
    for i in range(plan.views):
        expected.add("view", f"r{r}-{i}")


def _clicks(page: Any, prefix: str, n: int, expected: Expected) -> int:
    """``n`` clicks on new ads (``prefix-i``), some twice; how many were not decided in time."""
    for i in range(n):
        expected.add("click", f"{prefix}-{i}")
    return page.evaluate("(a) => __soak.clicks(...a)", [prefix, n, REPEAT_EVERY])


def _memory(cdp: Any) -> dict[str, int]:
    """After a full garbage collection: the JS heap in use, and the ArrayBuffer backing
    stores, which hold the WebAssembly memory (Pyodide's heap; it never shrinks).
    (``Runtime.queryObjects`` on ``WebAssembly.Memory.prototype`` would isolate the
    WebAssembly part, but it hung on the tracker's page in Chromium 156.)"""
    cdp.send("HeapProfiler.enable")
    cdp.send("HeapProfiler.collectGarbage")
    usage = cdp.send("Runtime.getHeapUsage")
    return {"js_heap": int(usage["usedSize"]), "wasm": int(usage["backingStorageSize"])}


def run_soak(browser: Any, page_url: str, collector: Any, plan: Plan, log: Any = print) -> dict:
    """Drive the session; return its figures and findings (``bench.soak_report``)."""
    started = time.monotonic()
    expected = Expected()
    errors: list[str] = []
    late = 0
    slow = 0  # answers accepted after the request timeout
    rec = Recorder()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"tab 1: {exc}"))
        page.goto(page_url)
        page.evaluate("() => adTracker.ready.then(() => true)")
        # The session starts once the start-up is over (the Worker's gzip of the snapshot
        # after ready included), so it measures the tracker's steady state alone.
        page.wait_for_function(START_UP_OVER, timeout=60_000)
        page.evaluate(INSTALL, collector.origin)
        cdp = context.new_cdp_session(page)
        baseline: dict[str, int] = {}
        for r in range(plan.rounds):
            name, fault = FAULTS[r % len(FAULTS)]
            begun = time.time()
            if fault is not None:
                collector.add_fault(**fault)
                slow += fault["times"] if fault.get("delay") and fault["status"] == 202 else 0
            _expect_round(expected, r, plan)
            routes = [f"r{r}", plan.routes, IMPRESSION_EVERY]
            if r == 1 and plan.tab2_clicks:  # the second tab shops while this one routes
                page.evaluate("(a) => { window.__routing = __soak.routes(...a); }", routes)
                tab, tab_late = _second_tab(context, page_url, collector, plan, expected, errors)
                late += tab_late + page.evaluate("() => window.__routing")
                rec.held += _close_when_quiet(tab)
            else:
                late += page.evaluate("(a) => __soak.routes(...a)", routes)
            if fault is None:  # offline flapping, during the clicks
                for f in range(2 * FLAPS):
                    context.set_offline(f % 2 == 0)
                    if f % 2:
                        rec.online_at.append(time.time())
                    late += _clicks(page, f"r{r}-f{f}", plan.clicks // (2 * FLAPS), expected)
                context.set_offline(False)
                rec.online_at.append(time.time())
            else:
                late += _clicks(page, f"r{r}", plan.clicks, expected)
            late += page.evaluate("(a) => __soak.views(...a)", [f"r{r}", plan.views])
            rec.rounds.append((name, begun, time.time()))
            if r == 0:
                baseline = _memory(cdp)
            log(
                f"[soak] round {r + 1}/{plan.rounds} ({name}) done at {time.monotonic() - started:.0f} s"
            )
        drained_in = _drain(page, collector, expected)
        page.wait_for_timeout(AFTER_DRAIN_S * 1000)
        final = _memory(cdp)
        storage = page.evaluate(STORAGE)
        rec.held += page.evaluate("() => __soak.held()")
    finally:
        context.close()
    session = Session(
        plan_rounds=plan.rounds,
        route_changes=plan.rounds * plan.routes,
        expected=expected,
        received=collector.events(),
        rounds=rec.rounds,
        online_at=rec.online_at,
        slow_s=SLOW_S,
        held=rec.held,
        storage=storage,
        tabs=TABS,
    )
    return {
        "seconds": round(time.monotonic() - started, 1),
        "drained_in_s": drained_in,
        "drain_bound_s": DRAIN_S,
        "late_decisions": late,
        "slow_answers_accepted": slow,
        "faults_left": collector.faults.pending(),
        **figures(session),
        "js_heap_growth_bytes": final["js_heap"] - baseline["js_heap"],
        "wasm_growth_bytes": final["wasm"] - baseline["wasm"],
        "js_heap_bytes": final["js_heap"],
        "wasm_bytes": final["wasm"],
        "page_errors": errors,
    }


def _second_tab(
    context: Any, page_url: str, collector: Any, plan: Plan, expected: Expected, errors: list[str]
) -> tuple[Any, int]:
    """A second tab of the same profile starts (its start-up flush reads the shared
    outbox) and shops while the first one routes; returns it, open."""
    tab = context.new_page()
    tab.on("pageerror", lambda exc: errors.append(f"tab 2: {exc}"))
    tab.goto(page_url)
    tab.evaluate("() => adTracker.ready.then(() => true)")
    tab.wait_for_function(START_UP_OVER, timeout=60_000)
    tab.evaluate(INSTALL, collector.origin)
    return tab, _clicks(tab, "tab2", plan.tab2_clicks, expected)


def _close_when_quiet(tab: Any) -> list[list[Any]]:
    """Close the tab once the shared outbox is empty; what it held back. (A tab closed
    with a request in flight leaves its entry to be sent again inside VTEX's dedup window:
    the documented trade-off, docs/guarantees.md, and test_faults.py's subject, not this
    one's.)"""
    deadline = time.monotonic() + DRAIN_S
    while tab.evaluate(OUTBOX_EMPTY) is False and time.monotonic() < deadline:
        tab.wait_for_timeout(200)
    held = tab.evaluate("() => __soak.held()")
    tab.close()
    return held


def _drain(page: Any, collector: Any, expected: Expected) -> float:
    """Seconds until every expected event was accepted (bounded by DRAIN_S)."""
    began = time.monotonic()
    while time.monotonic() - began < DRAIN_S:
        if expected.paths <= {e.path for e in collector.accepted()}:
            break
        page.wait_for_timeout(250)
    return round(time.monotonic() - began, 1)


def soak_figures(site: Any, browser: Any) -> dict[str, Any]:
    """The benchmark's ``soak`` part: ``BENCH`` on the bench's storefront server."""
    from bench.pages import page

    tag = site.tag.replace("<script ", f'<script data-request-timeout="{REQUEST_TIMEOUT_S}" ', 1)
    url = site.server.add_page("/soak.html", page(tag, "", "Bench soak"))
    site.collector.clear()
    got = run_soak(browser, url, site.collector, BENCH)
    lists = ("missing", "unexpected", "doubled", "resent_after_failure", "storage_problems")
    lists += ("page_errors",)
    return {
        **{f"soak_{k}": v for k, v in got.items() if k not in lists},
        **{f"soak_{k}_count": len(got[k]) for k in lists},
        "soak_js_heap_growth_mb": got["js_heap_growth_bytes"] / (1 << 20),
        "soak_wasm_growth_mb": got["wasm_growth_bytes"] / (1 << 20),
    }
