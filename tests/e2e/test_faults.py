"""Delivery under faults, end to end: refused connections, 5xx/429, slow answers, offline,
reloads mid-retry, several tabs, broken storage, a missing or CSP-blocked WebAssembly
runtime, and consent.

Every test asserts the exact number of beacons the collector finally holds: how many it
answered 2xx (``accepted``) and how many POSTs it received in all. The ``page`` fixture
(conftest) fails any test whose pages raised an uncaught error or sent a request
anywhere but 127.0.0.1.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest
from e2e_helpers import (
    COPY_WITHIN_SECONDS,
    DIST,
    HOST_IDS,
    MOUNT,
    SLOW_HERO,
    click_url,
    delivered,
    delivered_once,
    goto_still_loading,
    hold_requests,
    navigating_preboot_copies,
    open_in_two_tabs,
    path_of,
    release,
)
from playwright.sync_api import Page

#: Shortest request timeout the tracker accepts (seconds): keeps fault tests fast.
FAST = {"data-request-timeout": "2"}

#: A hero image the test holds unanswered so the page's load event (after which the
#: loader boots Pyodide) stays pending: lets a test click "before ready" deterministically.


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ready_state(page: Page, timeout_ms: int = 30_000) -> dict[str, Any]:
    """How ``adTracker.ready`` settled: ``{"ok": bool, "reason": str}`` (bounded wait)."""
    page.wait_for_function("() => !!window.adTracker", timeout=timeout_ms)
    return page.evaluate(
        """(ms) => Promise.race([
            window.adTracker.ready.then(
                () => ({ok: true, reason: ""}),
                (err) => ({ok: false, reason: String(err && err.message || err)})),
            new Promise((resolve) => setTimeout(
                () => resolve({ok: null, reason: `not settled after ${ms} ms`}), ms)),
        ])""",
        timeout_ms,
    )


def tracker_storage(page: Page) -> dict[str, str]:
    """Every ``adtracker:`` localStorage entry of the page's origin."""
    return page.evaluate(
        """() => Object.fromEntries(Object.keys(localStorage)
            .filter((k) => k.startsWith("adtracker:"))
            .map((k) => [k, localStorage.getItem(k)]))"""
    )


def outbox_keys(page: Page) -> list[str]:
    return sorted(k for k in tracker_storage(page) if k.startswith("adtracker:o:"))


def assert_same_beacon(events: list[Any], url: str) -> None:
    """Every received POST went to ``url`` byte for byte with the host's ids."""
    assert [e.path for e in events] == [path_of(url)] * len(events), events
    assert all(e.body_json == HOST_IDS for e in events), [e.body_text for e in events]
    assert all(e.errors == [] for e in events), [e.errors for e in events]


# --------------------------------------------------------------------------- network


def test_connection_refused_then_recovery(
    page, page_log, collector, ready_page, collector_at, ad_html, grace
):
    """The beacon host refuses connections; once it listens, the retry delivers once."""
    port = free_port()
    down = f"http://127.0.0.1:{port}"
    url = f"{down}/v1/beacon/click/ad-down?pos=1"
    attrs = {"data-beacon-origins": f"{collector.origin} {down}", **FAST}
    ready_page(ad_html(url, id="ad"), attrs=attrs)

    page.click("#ad")
    failed = page_log.wait_outcome(page, "failed", url=url)
    assert "network error" in failed[0]["reason"], failed

    late = collector_at(port)  # the host comes back on the same origin
    assert len(late.wait_for(1, timeout=20.0)) == 1
    page_log.wait_outcome(page, "delivered", url=url)
    grace(page)
    events = late.events()
    assert len(events) == 1, events  # received
    assert len(late.accepted()) == 1  # accepted
    assert events[0].status == 202
    assert_same_beacon(events, url)
    assert collector.events() == []
    assert outbox_keys(page) == []


@pytest.mark.parametrize(
    ("status", "times"),
    [(503, 2), (500, 1), (0, 2)],
    ids=["503-twice", "500-once", "dropped-connection-twice"],
)
def test_server_errors_then_202(
    page, page_log, collector, ready_page, ad_html, grace, status, times
):
    """5xx answers (or a dropped connection) are retried until the 202: exactly one accepted.

    A connection closed without an answer (status 0) on a *reused* keep-alive socket is
    retried once by Chromium itself, invisibly to the page; so two drops guarantee that
    the tracker sees at least one network error, and it may see two.
    """
    ad = f"ad-err-{status}-{times}"
    collector.add_fault(f"/v1/beacon/click/{ad}", status, times=times)
    url = click_url(collector, ad)
    ready_page(ad_html(url, id="ad"), attrs=FAST)

    page.click("#ad")

    events = delivered(page, page_log, collector, url, timeout=15.0)
    assert [e.status for e in events] == [status] * times + [202], events
    assert len(events) == times + 1  # received
    assert len(collector.accepted()) == 1  # accepted
    assert_same_beacon(events, url)
    failed = len(page_log.outcomes("failed", url))
    if status == 0:
        assert 1 <= failed <= times, page_log.tracker_events
    else:
        assert failed == times, page_log.tracker_events
    assert len(page_log.outcomes("delivered", url)) == 1
    assert outbox_keys(page) == []


def test_429_retry_after_is_honoured(page, page_log, collector, ready_page, ad_html, grace):
    """429 with Retry-After: 2 → the second attempt comes ≥ ~2 s after the first."""
    collector.add_fault("/v1/beacon/click/ad-429", 429, headers={"Retry-After": "2"})
    url = click_url(collector, "ad-429")
    ready_page(ad_html(url, id="ad"), attrs=FAST)

    page.click("#ad")

    events = delivered(page, page_log, collector, url, timeout=15.0)
    assert [e.status for e in events] == [429, 202], events
    assert len(collector.accepted()) == 1
    assert_same_beacon(events, url)
    gap = events[1].received_at - events[0].received_at
    # Full-jitter backoff alone would retry within 1 s; Retry-After says 2 s.
    assert 1.9 <= gap < 5.0, f"second attempt {gap:.2f} s after the first"


def test_slow_answer_times_out_and_is_retried(
    page, page_log, collector, ready_page, ad_html, grace
):
    """A server slower than data-request-timeout=2: the request is aborted and retried.

    The slow answer is a 503 sent after 3 s, when the browser has already given up: had
    it been a 202, the server would have counted an event the client never saw succeed
    and the retry would make two 2xx (VTEX's own dedup would absorb the second). With a
    late 503 the collector's accepted count is exactly 1 and means exactly one delivery.
    """
    collector.add_fault("/v1/beacon/click/ad-slow", 503, delay=3.0)
    url = click_url(collector, "ad-slow")
    ready_page(ad_html(url, id="ad"), attrs=FAST)

    page.click("#ad")

    failed = page_log.wait_outcome(page, "failed", url=url, timeout=10.0)
    assert "timed out" in failed[0]["reason"], failed
    # The grace period lets the slow handler finish too.
    events = delivered(page, page_log, collector, url, timeout=15.0, grace_ms=2_500)
    assert [e.status for e in events] == [503, 202], events
    assert len(collector.accepted()) == 1
    assert_same_beacon(events, url)
    gap = events[1].received_at - events[0].received_at
    assert gap >= 1.9, f"retried {gap:.2f} s after the first attempt, before the 2 s timeout"
    assert len(page_log.outcomes("failed", url)) == 1


def test_offline_click_is_queued_and_sent_when_online(
    page, context, page_log, collector, ready_page, ad_html, grace
):
    """Offline: the click is queued in the outbox, nothing goes out; back online: sent once."""
    url = click_url(collector, "ad-offline")
    ready_page(ad_html(url, id="ad"))

    context.set_offline(True)
    page.click("#ad")
    page_log.wait_outcome(page, "queued", url=url)
    grace(page)
    assert collector.events() == []
    assert collector.preflights() == []
    assert len(outbox_keys(page)) == 1

    context.set_offline(False)

    events = delivered(page, page_log, collector, url, timeout=15.0)
    assert len(events) == 1, events
    assert len(collector.accepted()) == 1
    assert_same_beacon(events, url)
    assert outbox_keys(page) == []


# --------------------------------------------------------------------------- reloads, tabs


def test_reload_during_retry_wait_sends_once(
    page, page_log, collector, ready_page, ad_html, wait_ready, grace
):
    """503 + Retry-After: 2, then the page reloads: the next page load sends it, once."""
    collector.add_fault("/v1/beacon/click/ad-reload", 503, headers={"Retry-After": "2"})
    url = click_url(collector, "ad-reload")
    ready_page(ad_html(url, id="ad"), attrs=FAST)

    page.click("#ad")
    page_log.wait_outcome(page, "failed", url=url)
    assert len(outbox_keys(page)) == 1
    page.reload()
    wait_ready(page)

    # The first page's retry timer died with it; nothing else may come.
    events = delivered(page, page_log, collector, url, timeout=15.0, grace_ms=3_000)
    assert [e.status for e in events] == [503, 202], events
    assert len(collector.accepted()) == 1
    assert_same_beacon(events, url)
    assert outbox_keys(page) == []


def test_reload_while_request_in_flight_resends_after_lease(
    page, page_log, collector, ready_page, ad_html, wait_ready, grace
):
    """A reload while the request is in flight: the new page waits out the lease, then
    resends (the attempt may have reached the server, but the click's 1 h window lets
    VTEX absorb a duplicate). The late answer here is a 503, so exactly one is accepted."""
    collector.add_fault("/v1/beacon/click/ad-inflight", 503, delay=3.0)
    url = click_url(collector, "ad-inflight")
    ready_page(ad_html(url, id="ad"), attrs=FAST)

    page.click("#ad")
    assert len(collector.wait_for(1, timeout=10.0, accepted_only=False)) == 1
    page.reload()  # the keepalive request outlives the page; its answer is never read
    wait_ready(page)

    assert len(collector.wait_for(1, timeout=20.0)) == 1
    page_log.wait_outcome(page, "delivered", url=url)
    grace(page)
    events = collector.events()
    assert [e.status for e in events] == [503, 202], events
    assert len(collector.accepted()) == 1
    assert_same_beacon(events, url)
    # Leased for request timeout (2 s) + 5 s margin: no other page resends it before.
    gap = events[1].received_at - events[0].received_at
    assert gap >= 6.5, f"resent {gap:.2f} s after the first attempt, inside its lease"
    assert outbox_keys(page) == []


def test_two_tabs_clicking_the_same_ad_send_once(
    page, context, page_log, site, collector, make_page, ad_html, grace
):
    """Two pages of one browser profile click the same ad: one beacon (shared dedup)."""
    url = click_url(collector, "ad-tabs")
    shop = make_page(site, collector, ad_html(url, id="ad"))
    other = open_in_two_tabs(page, context, shop)

    page.click("#ad")
    assert len(collector.wait_for(1, timeout=10.0)) == 1
    page_log.wait_outcome(page, "delivered", url=url)
    other.click("#ad")
    dup = page_log.wait_outcome(other, "deduplicated", url=url)
    assert dup[0]["page"].split("#")[0] == shop  # decided by the second tab
    grace(other)
    events = collector.events()
    assert len(events) == 1, events
    assert len(collector.accepted()) == 1
    assert_same_beacon(events, url)
    other.close()


#: The known limit without Web Locks (docs/guarantees.md): the lease is a read-then-write
#: on localStorage, which is not atomic across tabs; a random delay and a re-read before
#: resending make a double resend rare (it was ~2 runs in 10 before them) but cannot
#: exclude it. What holds is checked: the event is never lost, and never sent more than
#: once per tab.
NO_LOCKS_MAX_COPIES = 2


@pytest.mark.parametrize("web_locks", [True, False], ids=["web-locks", "no-web-locks"])
def test_two_tabs_do_not_both_retry_one_outbox_entry(
    page, context, page_log, site, collector, make_page, ad_html, grace, web_locks
):
    """A 503 + Retry-After: 3 leaves the event in the shared outbox; a second open tab
    flushes (its ``online`` event) and arms its own timer for it, so both tabs' retry
    timers fire together: exactly one of them resends it (Web Locks + leases)."""
    if not web_locks:  # README: the leases alone keep tabs apart where Web Locks are missing
        context.add_init_script(
            "Object.defineProperty(Navigator.prototype, 'locks', {get: () => undefined});"
        )
    collector.add_fault("/v1/beacon/click/ad-race", 503, headers={"Retry-After": "3"})
    url = click_url(collector, "ad-race")
    shop = make_page(site, collector, ad_html(url, id="ad"), attrs=FAST)
    other = open_in_two_tabs(page, context, shop)

    page.click("#ad")
    page_log.wait_outcome(page, "failed", url=url)
    # The second tab sees the waiting entry, then flushes: it is not due yet, so the
    # flush arms a timer for the same moment as the first tab's.
    other.wait_for_function(
        """() => Object.keys(localStorage).some((k) => k.startsWith("adtracker:o:"))""",
        timeout=5_000,
    )
    other.evaluate("() => window.dispatchEvent(new Event('online'))")

    events = delivered(page, page_log, collector, url, timeout=15.0, grace_ms=3_000)
    assert_same_beacon(events, url)
    assert outbox_keys(page) == []
    if web_locks:
        assert [e.status for e in events] == [503, 202], events
        assert len(collector.accepted()) == 1
        assert len(page_log.outcomes("delivered", url)) == 1
    else:
        statuses = [e.status for e in events]
        assert statuses[0] == 503 and 1 <= len(statuses) - 1 <= NO_LOCKS_MAX_COPIES, events
        assert set(statuses[1:]) == {202}, events
    other.close()


# --------------------------------------------------------------------------- storage

_STORAGE_GETTER_THROWS = """
Object.defineProperty(window, "localStorage", {
  configurable: true,
  get() { throw new DOMException("The operation is insecure.", "SecurityError"); },
});
"""

_STORAGE_WRITES_THROW = """
(() => {
  const quota = () => { throw new DOMException("The quota has been exceeded.",
                                              "QuotaExceededError"); };
  Storage.prototype.setItem = quota;
})();
"""


_STORAGE_IS_BROKEN = """() => {
  try { window.localStorage.setItem("e2e:probe", "1"); return false; }
  catch (err) { return true; }
}"""


@pytest.mark.parametrize(
    "init_script",
    [_STORAGE_GETTER_THROWS, _STORAGE_WRITES_THROW],
    ids=["getter-throws-SecurityError", "setItem-throws-QuotaExceeded"],
)
def test_unusable_storage_still_delivers_and_dedups(
    page, context, page_log, site, collector, make_page, ad_html, wait_ready, grace, init_script
):
    """localStorage throwing: a pre-boot click and a click are delivered; a double click
    on the same ad within the page is still deduplicated (memory fallback)."""
    context.add_init_script(init_script)
    early = click_url(collector, "ad-store-early")
    url = click_url(collector, "ad-store")
    held = hold_requests(page, SLOW_HERO)
    body = (
        f'<img src="{SLOW_HERO}" alt="">'
        + ad_html(early, "early", tag="div", id="early")
        + ad_html(url, "ad", tag="div", id="ad")
    )
    goto_still_loading(page, make_page(site, collector, body))
    assert page.evaluate(_STORAGE_IS_BROKEN), "the init script did not break localStorage"
    page.click("#early")  # the loader cannot store it: kept in memory for this page
    release(page, held, SLOW_HERO)
    wait_ready(page)

    page.click("#ad")
    page.click("#ad")

    page_log.wait_outcome(page, "deduplicated", url=url)
    assert len(collector.wait_for(2, timeout=10.0)) == 2
    grace(page)
    events = collector.events()
    assert len(events) == 2, events
    assert len(collector.accepted()) == 2
    assert sorted(e.path for e in events) == sorted([path_of(early), path_of(url)])
    assert all(e.body_json == HOST_IDS for e in events)
    assert len(page_log.outcomes("deduplicated", url)) == 1


def test_garbage_in_storage_is_discarded(
    page, page_log, site, collector, ready_page, ad_html, grace
):
    """Corrupt values under the tracker's keys: it starts, delivers once, and cleans up."""
    plain = site.add_page("/shop/plain.html", "<!doctype html><title>plain</title><p>plain</p>")
    page.goto(plain)
    garbage = {
        "adtracker:ids": "{",
        "adtracker:preboot": "not json",
        "adtracker:o:x": "[]",
        "adtracker:d:abc": '{"e":"x"}',
        "adtracker:o:huge": "x" * 100_000,
        "adtracker:d:huge": '{"e": 1, "pad": "' + "y" * 100_000 + '"}',
    }
    page.evaluate(
        """(items) => {
          for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v);
          localStorage.setItem("shop:cart", "3 items");
        }""",
        garbage,
    )
    url = click_url(collector, "ad-garbage")
    ready_page(ad_html(url, id="ad"))

    page.click("#ad")

    events = delivered_once(page, page_log, collector, url)
    assert len(collector.accepted()) == 1
    assert_same_beacon(events, url)

    stored = tracker_storage(page)
    for key, value in garbage.items():
        assert stored.get(key) != value, f"{key} still holds its garbage"
    for key in ("adtracker:preboot", "adtracker:o:x", "adtracker:d:abc", "adtracker:o:huge"):
        assert key not in stored, f"{key} was not discarded: {stored.get(key)!r:.80}"
    assert "adtracker:d:huge" not in stored
    for key, value in stored.items():
        parsed = json.loads(value)  # whatever remains is valid JSON again
        assert isinstance(parsed, dict), (key, value)
    ids = json.loads(stored["adtracker:ids"])
    assert {"anon_user_id", "session_id", "session_seen"} <= set(ids), ids
    assert outbox_keys(page) == []
    assert page.evaluate("() => localStorage.getItem('shop:cart')") == "3 items"


# --------------------------------------------------------------------------- start-up faults


def test_missing_wasm_rejects_ready_and_queues_clicks_for_a_later_page(
    page, page_log, site, collector, ready_page, make_page, ad_html, grace
):
    """pyodide.asm.wasm answers 404: ready rejects naming it, links work; the click on
    the page that stays is sent by the loader all the same, the one on a link is kept in
    adtracker:preboot (or sent by the loader before the page went), and a later page
    (healthy dist, same origin) sends what is left: each reaches VTEX once (a loader
    attempt the page left unanswered gives the documented copy)."""
    broken_mount = MOUNT
    healthy_mount = "/static/adt-ok/dist/"
    runtime = (DIST / "RUNTIME").read_text().strip()  # the content-hashed runtime folder
    wasm = f"{broken_mount}{runtime}/pyodide.asm.wasm"
    site.fail_path(wasm, 404)  # only the first mount's file
    site.add_dir(healthy_mount, DIST)
    landing = site.add_page("/shop/landing.html", "<!doctype html><title>l</title><p>landing</p>")
    early = click_url(collector, "ad-wasm-early")
    link = click_url(collector, "ad-wasm-link")
    held = hold_requests(page, SLOW_HERO)
    body = (
        f'<img src="{SLOW_HERO}" alt="">'
        + ad_html(early, "early", tag="div", id="early")
        + ad_html(link, "link", id="link", href="/shop/landing.html")
    )
    goto_still_loading(page, make_page(site, collector, body, mount=broken_mount))

    page.click("#early")  # before the loader even tries to boot
    started = time.monotonic()
    release(page, held, SLOW_HERO)
    state = ready_state(page, 20_000)
    elapsed = time.monotonic() - started

    assert state["ok"] is False, state
    assert "pyodide.asm.wasm" in state["reason"] and "404" in state["reason"], state
    assert elapsed < 10.0, f"ready rejected only after {elapsed:.1f} s"
    assert (wasm, 404) in {(r.path.split("?")[0], r.status) for r in site.requests()}

    assert [e.path for e in collector.wait_for(1, timeout=10.0)] == [path_of(early)]
    page.click("#link")
    page.wait_for_url(landing, timeout=10_000)
    preboot = json.loads(page.evaluate("() => localStorage.getItem('adtracker:preboot')"))
    assert [item["u"] for item in preboot] == [early, link], preboot
    assert "o" in preboot[0]  # the loader's own attempt

    ready_page("<p>healthy page</p>", mount=healthy_mount)
    links = navigating_preboot_copies(page, page_log, link)
    assert len(collector.wait_for(1 + links, timeout=COPY_WITHIN_SECONDS)) == 1 + links
    grace(page, 2_000)
    events = collector.events()
    assert len(events) == 1 + links, events
    assert len(collector.accepted()) == 1 + links
    assert sorted(e.path for e in events) == sorted([path_of(early)] + [path_of(link)] * links)
    assert all(e.body_json == HOST_IDS for e in events)
    assert "adtracker:preboot" not in tracker_storage(page)


def test_csp_without_wasm_unsafe_eval_rejects_ready(
    page, page_log, site, collector, make_page, ad_html
):
    """script-src 'self' (no 'wasm-unsafe-eval'): ready rejects saying so; links work."""
    landing = site.add_page("/shop/csp-landing.html", "<!doctype html><title>l</title><p>l</p>")
    url = click_url(collector, "ad-csp-blocked")
    page.goto(
        make_page(
            site,
            collector,
            ad_html(url, id="ad", href="/shop/csp-landing.html"),
            headers={"Content-Security-Policy": "script-src 'self'"},
        )
    )

    state = ready_state(page, 20_000)

    assert state["ok"] is False, state
    assert "'wasm-unsafe-eval'" in state["reason"], state
    page.click("#ad")
    page.wait_for_url(landing, timeout=10_000)
    preboot = json.loads(page.evaluate("() => localStorage.getItem('adtracker:preboot')"))
    assert [item["u"] for item in preboot] == [url], preboot
    if "o" in preboot[0]:  # the loader sent it before the page went (CSP allows the fetch)
        assert [e.path for e in collector.wait_for(1, timeout=10.0)] == [path_of(url)]
    else:
        assert collector.events() == []
        assert collector.preflights() == []


def test_documented_csp_works(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """The README's CSP (with the collector as connect-src): the click is delivered once."""
    csp = (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
        f"connect-src 'self' {collector.origin}"
    )
    url = click_url(collector, "ad-csp-ok")
    page.goto(
        make_page(site, collector, ad_html(url, id="ad"), headers={"Content-Security-Policy": csp})
    )
    wait_ready(page)

    page.click("#ad")

    events = delivered_once(page, page_log, collector, url)
    assert len(collector.accepted()) == 1
    assert_same_beacon(events, url)
    violations = [m.text for m in page_log.console if "Content Security Policy" in m.text]
    assert violations == []


# --------------------------------------------------------------------------- consent


def test_consent_pending_granted_then_denied(page, page_log, collector, ready_page, ad_html, grace):
    """pending: nothing stored or sent; granted: the waiting click goes, once; denied:
    every adtracker: key is gone and a new click sends nothing."""
    url = click_url(collector, "ad-consent")
    later = click_url(collector, "ad-consent-later")
    body = ad_html(url, "one", id="ad") + ad_html(later, "two", id="later")
    ready_page(body, attrs={"data-consent": "pending"})

    page.click("#ad")
    page_log.wait_outcome(page, "queued", url=url)
    grace(page)
    assert collector.events() == []
    assert collector.preflights() == []
    assert tracker_storage(page) == {}

    page.evaluate("() => window.adTracker.push(['consent', 'granted'])")

    events = delivered_once(page, page_log, collector, url)
    assert len(collector.accepted()) == 1
    assert_same_beacon(events, url)
    assert tracker_storage(page) != {}  # granted: ids and the dedup mark are kept

    page.evaluate("() => window.adTracker.push(['consent', 'denied'])")
    grace(page, 500)
    assert tracker_storage(page) == {}

    page.click("#later")
    page_log.wait_outcome(page, "refused", url=later)
    grace(page)
    assert len(collector.events()) == 1
    assert tracker_storage(page) == {}


def test_consent_pending_preboot_click_is_memory_only_until_granted(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """A click before ready with consent pending is not written to storage; granting
    consent sends it once."""
    url = click_url(collector, "ad-consent-early")
    held = hold_requests(page, SLOW_HERO)
    body = f'<img src="{SLOW_HERO}" alt="">' + ad_html(url, "early", tag="div", id="ad")
    goto_still_loading(page, make_page(site, collector, body, attrs={"data-consent": "pending"}))
    page.click("#ad")
    assert tracker_storage(page) == {}
    release(page, held, SLOW_HERO)
    wait_ready(page)
    page_log.wait_outcome(page, "queued", url=url)
    grace(page)
    assert collector.events() == []
    assert tracker_storage(page) == {}

    page.evaluate("() => window.adTracker.push(['consent', 'granted'])")

    assert len(collector.wait_for(1, timeout=10.0)) == 1
    grace(page)
    events = collector.events()
    assert len(events) == 1, events
    assert len(collector.accepted()) == 1
    assert_same_beacon(events, url)
