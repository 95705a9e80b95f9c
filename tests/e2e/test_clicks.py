"""Click tracking end to end: built dist in headless Chromium, beacons to a local collector.

Each test asserts exact counts at the collector. Positive cases wait on the collector
(bounded); negative cases wait for the tracker's own ``adtracker:event`` decision and a
short grace period, then count. The ``page`` fixture fails any test that saw a page error.
"""

from __future__ import annotations

import json
import re
import time

from e2e_helpers import (
    AJV_422,
    COPY_WITHIN_SECONDS,
    HOST_SESSION_ID,
    HOST_USER_ID,
    MOUNT,
    SLOW_HERO,
    assert_local_only,
    delivered_once,
    hold_requests,
    is_read,
    navigating_preboot_copies,
    path_of,
    release,
)
from e2e_helpers import click_url as _click_url
from e2e_helpers import goto_still_loading as _goto_still_loading
from playwright.sync_api import Page

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

#: A realistic click URL: opaque signature with percent-escapes, unsorted and empty params.
#: The tracker must send to it byte for byte.
CLICK_QUERY = "?pos=1&sig=ab%2Fcd%3D%3D&z=9&a=&publisher_id=p-1&pos=2"


# --------------------------------------------------------------------------- delivery


def test_click_delivers_exact_url_headers_and_valid_body(
    page, page_log, site, collector, ready_page, ad_html, grace
):
    """One click → one POST to the ad's URL byte for byte, JSON headers, schema-valid body."""
    url = click_url(collector, "ad-1", CLICK_QUERY)
    ready_page(ad_html(url, "Buy", id="ad"))

    page.click("#ad")

    events = delivered_once(page, page_log, collector, url)
    ev = events[0]
    assert ev.path == path_of(url)
    assert ev.kind == "click"
    assert ev.ad_id == "ad-1"
    assert ev.origin == site.origin  # a cross-origin beacon from the shop page
    assert ev.headers.get("accept") == "application/json"
    assert ev.headers.get("content-type") == "application/json"
    assert ev.status == 202
    assert ev.errors == []
    assert ev.body_json == {"user_id": HOST_USER_ID, "session_id": HOST_SESSION_ID}
    assert page_log.outcomes("failed") == []
    assert page_log.outcomes("rejected") == []


def test_repeated_clicks_and_reload_are_deduplicated(
    page, page_log, collector, ready_page, ad_html, wait_ready, grace
):
    """Three clicks on one ad, then a reload and a fourth click within the hour → 1 event."""
    url = click_url(collector, "ad-dup")
    ready_page(ad_html(url, id="ad"))

    page.click("#ad")
    assert len(collector.wait_for(1, timeout=10.0)) == 1
    page.click("#ad")
    page.click("#ad")
    page_log.wait_outcome(page, "deduplicated", count=2, url=url)

    page.reload()
    wait_ready(page)
    page.click("#ad")
    page_log.wait_outcome(page, "deduplicated", count=3, url=url)
    grace(page)

    assert len(collector.events()) == 1, collector.events()
    assert len(collector.accepted()) == 1


def test_second_ad_gets_its_own_event(page, collector, ready_page, ad_html, grace):
    """Two different ads clicked once each → two events, one per ad URL."""
    url1 = click_url(collector, "ad-1")
    url2 = click_url(collector, "ad-2", "?pos=2&sig=y")
    body = ad_html(url1, "first", id="ad1") + ad_html(url2, "second", id="ad2")
    ready_page(body)

    page.click("#ad1")
    page.click("#ad2")

    assert len(collector.wait_for(2, timeout=10.0)) == 2
    grace(page)
    events = collector.events()
    assert len(events) == 2, events
    assert sorted(e.path for e in events) == sorted([path_of(url1), path_of(url2)])
    assert all(e.status == 202 and e.errors == [] for e in events)


def test_navigating_link_still_delivers(page, site, collector, ready_page, ad_html, grace):
    """A click (after ready) on an ad link that navigates away still reaches the collector."""
    url = click_url(collector, "ad-nav")
    target = site.add_page(
        "/product/123.html", "<!doctype html><title>product</title><p id=product>product</p>"
    )
    ready_page(ad_html(url, id="ad", href="/product/123.html"))

    page.click("#ad")
    page.wait_for_url(target, timeout=10_000)

    assert len(collector.wait_for(1, timeout=10.0)) == 1
    grace(page)
    events = collector.events()
    assert len(events) == 1, events
    assert events[0].path == path_of(url)
    assert events[0].status == 202
    assert events[0].errors == []


# --------------------------------------------------------------------------- before ready

_WATCH_READY_AT_CLICK = """() => {
  window.__e2eReady = false;
  window.adTracker.ready.then(() => { window.__e2eReady = true; }, () => {});
  window.addEventListener("click", () => {
    sessionStorage.setItem("e2e:ready-at-click", String(window.__e2eReady));
  }, true);
  return window.__e2eReady;
}"""

#: A hero image that the test holds unanswered, so the page's load event (after which
#: the loader starts Pyodide) stays pending: a shopper clicking while the page still loads.
#: Without it the click would race Pyodide's boot, which blocks the main thread.


def click_url(collector, ad_id: str, query: str = "?pos=1&sig=x") -> str:
    return _click_url(collector, ad_id, query)


def goto_still_loading(page: Page, url: str) -> None:
    """Open ``url`` and return right after DOMContentLoaded, the loader run, ready pending."""
    _goto_still_loading(page, url)
    # The loader must have run (its listener records the click) but Python not be live.
    assert page.evaluate(_WATCH_READY_AT_CLICK) is False


def test_click_before_ready_is_delivered_on_same_page(
    page, site, collector, make_page, ad_html, wait_ready, grace
):
    """A click right after DOMContentLoaded, before ready resolves, is sent at once by the
    loader (web/src/click.js) while Python's start is still held, and Python, once ready,
    does not send it again."""
    url = click_url(collector, "ad-early")
    held = hold_requests(page, SLOW_HERO)
    body = f'<img src="{SLOW_HERO}" alt="">' + ad_html(url, "early", tag="div", id="ad")
    goto_still_loading(page, make_page(site, collector, body))

    page.click("#ad")

    assert page.evaluate("() => sessionStorage.getItem('e2e:ready-at-click')") == "false", (
        "the click was not made before adTracker.ready resolved; test is not meaningful"
    )
    assert len(collector.wait_for(1, timeout=10.0)) == 1  # before ready: the boot is held
    assert page.evaluate("() => sessionStorage.getItem('e2e:ready-at-click')") == "false"
    release(page, held, SLOW_HERO)
    wait_ready(page)
    grace(page)
    events = collector.events()
    assert len(events) == 1, events
    assert events[0].path == path_of(url)
    assert events[0].status == 202
    assert events[0].body_json == {"user_id": HOST_USER_ID, "session_id": HOST_SESSION_ID}


def test_a_pre_boot_click_the_collector_refused_is_sent_again_by_python(
    page, site, collector, make_page, ad_html, wait_ready, grace
):
    """The loader's attempt is answered 503: it leaves the click to Python's outbox (the
    answer's rules are Python's), which sends it again once ready: delivered once."""
    url = click_url(collector, "ad-early-503")
    collector.add_fault("ad-early-503", 503)
    held = hold_requests(page, SLOW_HERO)
    body = f'<img src="{SLOW_HERO}" alt="">' + ad_html(url, "early", tag="div", id="ad")
    goto_still_loading(page, make_page(site, collector, body))

    page.click("#ad")
    assert len(collector.wait_for(1, timeout=10.0, accepted_only=False)) == 1
    assert collector.accepted() == []
    release(page, held, SLOW_HERO)
    wait_ready(page)
    assert len(collector.wait_for(1, timeout=15.0)) == 1
    grace(page)
    assert [e.status for e in collector.events()] == [503, 202]
    assert collector.events()[0].body_json == collector.events()[1].body_json


def test_click_before_ready_on_navigating_link_is_sent_by_next_page(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """A pre-ready click on a link that navigates reaches the collector: sent by the
    loader (web/src/click.js) if it got that far before the page went, else by the next
    tracker page. A loader attempt the page left before its answer is the documented
    copy (docs/guarantees.md#copies): the next page's outbox sends it again after the
    attempt's lease, with the same ids, so VTEX counts it once."""
    url = click_url(collector, "ad-early-nav")
    second = make_page(site, collector, "<p id=second>second page</p>", path="/shop/second.html")
    held = hold_requests(page, SLOW_HERO)
    body = f'<img src="{SLOW_HERO}" alt="">' + ad_html(url, "go", id="ad", href="/shop/second.html")
    goto_still_loading(page, make_page(site, collector, body))

    page.click("#ad")
    page.wait_for_url(second, timeout=10_000)
    release(page, held, SLOW_HERO)  # the first page is gone; nothing left to answer

    assert page.evaluate("() => sessionStorage.getItem('e2e:ready-at-click')") == "false", (
        "the click was not made before adTracker.ready resolved; test is not meaningful"
    )
    wait_ready(page)
    expected = navigating_preboot_copies(page, page_log, url)
    assert len(collector.wait_for(expected, timeout=COPY_WITHIN_SECONDS)) == expected
    grace(page, 2_000)
    events = collector.events()
    assert len(events) == expected, events
    assert {e.path for e in events} == {path_of(url)}
    assert all(e.status == 202 and e.errors == [] for e in events)
    assert len({json.dumps(e.body_json, sort_keys=True) for e in events}) == 1  # one user, session


# --------------------------------------------------------------------------- refused


def test_disallowed_origin_receives_nothing(
    page, page_log, collector, ready_page, new_collector, ad_html, grace
):
    """An ad URL on an origin outside data-beacon-origins gets no request, not even OPTIONS."""
    other = new_collector()
    assert other.origin != collector.origin
    url = click_url(other, "ad-foreign")
    ready_page(ad_html(url, id="ad"))

    page.click("#ad")

    page_log.wait_outcome(page, "refused", url=url)
    grace(page)
    assert other.events() == []
    assert other.preflights() == []
    assert collector.events() == []
    assert collector.preflights() == []
    assert [r.url for r in page_log.requests if r.url.startswith(other.origin)] == []


def test_javascript_and_relative_urls_send_nothing(
    page, page_log, collector, ready_page, ad_html, grace
):
    """`javascript:` and relative click URLs are refused: no request anywhere."""
    js_url = "javascript:alert(1)"
    rel_url = "/v1/beacon/click/ad-relative?pos=1"
    body = ad_html(js_url, "js", id="ad-js") + ad_html(rel_url, "rel", id="ad-rel")
    ready_page(body)

    page.click("#ad-js")
    page.click("#ad-rel")

    page_log.wait_outcome(page, "refused", count=2)
    grace(page)
    assert collector.events() == []
    assert collector.preflights() == []
    assert [r for r in page_log.requests if "/v1/beacon/" in r.url] == []
    assert [r for r in page_log.requests if not is_read(r.method, r.url)] == []


# --------------------------------------------------------------------------- 422


def test_422_is_not_retried_and_reported_once(
    page, page_log, collector, ready_page, ad_html, grace
):
    """A 422 answer is final: exactly one request, and one console.error naming user_id."""
    collector.add_fault(
        "/v1/beacon/click/ad-422",
        422,
        times=5,
        body=AJV_422,
        headers={"content-type": "application/json"},
    )
    url = click_url(collector, "ad-422")
    ready_page(ad_html(url, id="ad"))

    started = time.monotonic()
    page.click("#ad")
    page_log.wait_outcome(page, "rejected", url=url)
    remaining_ms = int(max(0.0, 3.0 - (time.monotonic() - started)) * 1000)
    grace(page, max(remaining_ms, 500))

    events = collector.events()
    assert len(events) == 1, events
    assert events[0].status == 422
    assert events[0].path == path_of(url)
    named = [m for m in page_log.console_errors() if "user_id" in m.text]
    assert len(named) == 1, page_log.console_errors()


# --------------------------------------------------------------------------- identity


def test_host_given_ids_are_sent(page, site, collector, make_page, ad_html, wait_ready):
    """data-user-id / data-session-id are sent as user_id / session_id."""
    url = click_url(collector, "ad-ids")
    page.goto(
        make_page(
            site,
            collector,
            ad_html(url, id="ad"),
            attrs={"data-user-id": "customer-42", "data-session-id": "storefront-session-id"},
        )
    )
    wait_ready(page)

    page.click("#ad")

    accepted = collector.wait_for(1, timeout=10.0)
    assert len(accepted) == 1
    assert accepted[0].body_json == {
        "user_id": "customer-42",
        "session_id": "storefront-session-id",
    }


def test_generated_ids_are_uuid4_stable_and_namespaced(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """Without host ids: uuid4 ids, kept across reload, stored only under adtracker: keys."""
    url1 = click_url(collector, "ad-gen-1")
    url2 = click_url(collector, "ad-gen-2")
    body = ad_html(url1, "one", id="ad1") + ad_html(url2, "two", id="ad2")
    page.goto(
        make_page(site, collector, body, attrs={"data-user-id": None, "data-session-id": None})
    )
    wait_ready(page)

    page.click("#ad1")
    first = collector.wait_for(1, timeout=10.0)
    assert len(first) == 1
    ids = first[0].body_json
    assert set(ids) == {"user_id", "session_id"}
    assert UUID4.match(ids["user_id"]), ids
    assert UUID4.match(ids["session_id"]), ids
    assert ids["user_id"] != ids["session_id"]
    assert first[0].errors == []

    page.reload()
    wait_ready(page)
    page.click("#ad2")
    both = collector.wait_for(2, timeout=10.0)
    assert len(both) == 2
    assert both[1].body_json == ids, "generated ids changed across a reload"
    # Same ids → same dedup key: the first ad is still deduplicated after the reload.
    page.click("#ad1")
    page_log.wait_outcome(page, "deduplicated", url=url1)
    grace(page)
    assert len(collector.events()) == 2

    storage = page.evaluate(
        "() => Object.fromEntries(Object.keys(localStorage).map(k => [k, localStorage.getItem(k)]))"
    )
    assert storage, "nothing in localStorage"
    assert [k for k in storage if not k.startswith("adtracker:")] == []
    stored_text = "\n".join(storage.values())
    assert ids["user_id"] in stored_text
    assert ids["session_id"] in stored_text


# --------------------------------------------------------------------------- interaction


def test_middle_click_is_tracked(page, site, collector, ready_page, ad_html, grace):
    """A middle-button click (auxclick, button 1) on an ad link sends one click event."""
    url = click_url(collector, "ad-middle")
    site.add_page("/product/9.html", "<!doctype html><title>product 9</title><p>9</p>")
    ready_page(ad_html(url, id="ad", href="/product/9.html"))
    page.evaluate(
        """() => {
          window.__e2eAux = [];
          document.addEventListener("auxclick", (e) => window.__e2eAux.push(e.button));
        }"""
    )

    page.click("#ad", button="middle")

    assert len(collector.wait_for(1, timeout=10.0)) == 1
    grace(page)
    assert page.evaluate("() => window.__e2eAux") == [1]
    events = collector.events()
    assert len(events) == 1, events
    assert events[0].path == path_of(url)
    assert events[0].status == 202


def test_ad_inserted_after_ready_is_tracked(page, collector, ready_page, grace):
    """An ad added to the DOM after boot is tracked (one delegated document listener)."""
    url = click_url(collector, "ad-late")
    ready_page('<div id="slot"></div>')

    page.evaluate(
        """(url) => {
          const a = document.createElement("a");
          a.id = "late";
          a.href = "#late";
          a.dataset.adClickUrl = url;
          const inner = document.createElement("span");
          inner.id = "late-inner";
          inner.textContent = "late ad";
          a.appendChild(inner);
          document.getElementById("slot").appendChild(a);
        }""",
        url,
    )
    page.click("#late-inner")  # nested child: the ad is the nearest ancestor

    assert len(collector.wait_for(1, timeout=10.0)) == 1
    grace(page)
    events = collector.events()
    assert len(events) == 1, events
    assert events[0].path == path_of(url)


def test_tracker_never_prevents_default(page, collector, ready_page, ad_html):
    """A host bubble-phase listener sees defaultPrevented == false and the link navigates."""
    url = click_url(collector, "ad-default")
    ready_page(ad_html(url, id="ad", href="#landed"))
    page.evaluate(
        """() => {
          window.__e2ePrevented = [];
          document.addEventListener("click", (e) => window.__e2ePrevented.push(e.defaultPrevented));
        }"""
    )

    page.click("#ad")

    assert len(collector.wait_for(1, timeout=10.0)) == 1
    assert page.evaluate("() => window.__e2ePrevented") == [False]
    assert page.evaluate("() => location.hash") == "#landed"


# --------------------------------------------------------------------------- loading


def test_loader_fetches_relative_to_its_script_and_stays_local(
    page, page_log, site, collector, ready_page, ad_html, grace
):
    """Loaded from /static/adt/dist/, it fetches Pyodide from beside itself; no other origin."""
    url = click_url(collector, "ad-origin")
    ready_page(ad_html(url, id="ad"))
    page.click("#ad")
    assert len(collector.wait_for(1, timeout=10.0)) == 1
    grace(page)

    served = {r.path.split("?")[0]: r.status for r in site.requests()}
    assert served.get(f"{MOUNT}tracker.js") == 200, served
    runtime = [p for p in served if p.startswith(MOUNT + "r-") and p.endswith("/pyodide.asm.wasm")]
    assert len(runtime) == 1 and served[runtime[0]] == 200, served

    assert_local_only(page_log, site.origin, collector.origin)
