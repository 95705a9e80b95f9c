"""The tracker's core promises in every engine we support: Chromium, Firefox and WebKit.

Each test runs once per engine; the engine is the first part of its id
(``test_ready_resolves[firefox]``). The engines are driven through one small interface
(``tests/e2e/engines``): Chromium by Playwright, Firefox by puppeteer-core over WebDriver
BiDi, WebKit (WebKitGTK's MiniBrowser) by Selenium under Xvfb. A missing engine fails
its tests with how to install it; nothing is skipped.

The rest of the e2e suite (Chromium only) goes deeper on each behaviour; this module
checks that each promise holds in every engine, with exact counts at the collector.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from conftest import ad_html
from e2e_helpers import COPY_WITHIN_SECONDS, copies_of_a_navigating_preboot_click, path_of
from engines import ENGINES, INSTRUMENT_JS, INSTRUMENT_PATH, Driver, launch
from engines.gate import Gate
from other_scripts import (
    OBJECT_PROTOTYPE_POLLUTION,
    PROTOTYPE_JS_TOJSON,
    WRAP_FETCH,
    after_tracker_js,
)

if TYPE_CHECKING:
    from devserver import Collector, StaticServer

HOST_USER_ID = "customer-42"
HOST_SESSION_ID = "storefront-session-id"
BODY = {"user_id": HOST_USER_ID, "session_id": HOST_SESSION_ID}
#: Shortest request timeout the tracker accepts (seconds): keeps the retry test fast.
FAST = {"data-request-timeout": "2"}
BOX = "display:block;width:300px;height:100px;background:#eee"
INSTRUMENT_TAG = f'<script src="{INSTRUMENT_PATH}"></script>\n'
#: The README's CSP, with the collector's origin as connect-src.
STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' {}"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Driver]:
    """One browser per engine for the whole session (tests are grouped by engine)."""
    with launch(request.param, request) as driver:
        yield driver


@pytest.fixture
def tab(engine: Driver) -> Iterator[Driver]:
    """A fresh page in the engine; fails the test on any uncaught page error."""
    engine.new_page()
    errors: list[str] = []
    try:
        yield engine
        engine.pause(0.1)  # let last events land
        errors = engine.page_errors()
    finally:
        engine.close_page()
    assert errors == [], f"page errors seen: {errors!r}"


@pytest.fixture
def gate() -> Iterator[Gate]:
    g = Gate().start()
    try:
        yield g
    finally:
        g.stop()


@pytest.fixture
def shop(site: StaticServer, collector: Collector, make_page: Callable[..., str]) -> Any:
    """``shop(body_html, *, attrs=None, path=None, headers=None, head="")`` → page URL:
    a storefront page with instrument.js, then ``head``, then the tracker's script tag."""
    site.add_page(INSTRUMENT_PATH, INSTRUMENT_JS, {"Content-Type": "text/javascript"})

    def _shop(body_html: str, *, head: str = "", **kwargs: Any) -> str:
        return make_page(site, collector, body_html, head_html=INSTRUMENT_TAG + head, **kwargs)

    return _shop


# --------------------------------------------------------------------------- helpers


def beacon(collector: Collector, kind: str, ad_id: str, query: str = "?pos=1&sig=x") -> str:
    return collector.url(f"/v1/beacon/{kind}/{ad_id}{query}")


def ad(
    url: str, ad_id: str, *, tag: str = "a", href: str = "#x", style: str | None = BOX, **attrs: str
) -> str:
    """An ad box (300 × 100 px) clicking to ``url``; ``data_ad_x="…"`` adds attributes."""
    return ad_html(
        url,
        "Sponsored",
        tag=tag,
        href=href,
        id=ad_id,
        style=style,  # type: ignore[arg-type]  # None omits it
        **{k.replace("_", "-"): v for k, v in attrs.items()},
    )


def settle(tab: Driver, seconds: float = 1.0) -> None:
    """A short fixed wait before a negative assertion (counting exactly)."""
    tab.pause(seconds)


def assert_clicks(collector: Collector, *urls: str) -> None:
    """The collector received exactly one schema-valid, accepted click per URL."""
    events = collector.events()
    assert sorted(e.path for e in events) == sorted(path_of(u) for u in urls), events
    assert all(e.status == 202 and e.errors == [] for e in events), events
    assert all(e.body_json == BODY for e in events), [e.body_text for e in events]


_WATCH_READY = """() => {
  window.__e2eReady = false;
  window.adTracker.ready.then(() => { window.__e2eReady = true; }, () => {});
  return window.__e2eReady;
}"""


def goto_still_loading(tab: Driver, url: str, gate: Gate) -> None:
    """Open ``url`` (whose load event ``gate`` holds): the loader ran, Python not started."""
    tab.goto(url, wait_until="domcontentloaded")
    tab.wait_for("() => !!window.adTracker", timeout=15.0, what="the loader ran")
    assert gate.requested.wait(10.0), "the held image was never requested"
    assert tab.evaluate("() => document.readyState") != "complete"
    assert tab.evaluate(_WATCH_READY) is False


# --------------------------------------------------------------------------- tests


def test_ready_resolves(tab: Driver, collector: Collector, shop: Any) -> None:
    """adTracker.ready resolves; the loader replaced the queue; nothing is sent unasked."""
    tab.goto(shop("<p>home</p>"))
    tab.wait_ready()
    assert tab.evaluate("() => window.adTracker.__adtracker === true") is True
    settle(tab, 0.5)
    assert collector.events() == []


def test_click_sends_exact_url_headers_and_body(
    tab: Driver, site: StaticServer, collector: Collector, shop: Any
) -> None:
    """One click → one POST to the ad's URL byte for byte, JSON headers, the host's ids."""
    url = beacon(collector, "click", "ad-1", "?pos=1&sig=ab%2Fcd%3D%3D&z=9&a=&pos=2")
    tab.goto(shop(ad(url, "ad")))
    tab.wait_ready()

    tab.click("#ad")

    assert len(collector.wait_for(1, timeout=10.0)) == 1
    tab.wait_outcome("delivered", url=url)
    settle(tab)
    events = collector.events()
    assert len(events) == 1, events
    ev = events[0]
    assert ev.path == path_of(url)
    assert ev.kind == "click"
    assert ev.origin == site.origin
    assert ev.headers.get("accept") == "application/json"
    assert ev.headers.get("content-type") == "application/json"
    assert ev.status == 202
    assert ev.errors == []
    assert ev.body_json == BODY


def test_dedup_across_reload(tab: Driver, collector: Collector, shop: Any) -> None:
    """Two clicks, a reload and a third click within the hour → one event."""
    url = beacon(collector, "click", "ad-dup")
    tab.goto(shop(ad(url, "ad")))
    tab.wait_ready()

    tab.click("#ad")
    assert len(collector.wait_for(1, timeout=10.0)) == 1
    tab.click("#ad")
    tab.wait_outcome("deduplicated", url=url)

    tab.reload()
    tab.wait_ready()
    tab.click("#ad")
    tab.wait_outcome("deduplicated", url=url)  # on the reloaded page
    settle(tab)
    assert len(collector.events()) == 1, collector.events()
    assert_clicks(collector, url)


_BOOT_PATH = """() => {
  const restored = performance.getEntriesByName("adtracker:snapshot-restored")[0];
  return restored ? restored.detail
    : performance.getEntriesByName("adtracker:normal-boot").length ? "normal" : null;
}"""

_SETTLED = """() => performance.getEntriesByName("adtracker:snapshot-settled").length"""


_CACHED = """async () => {
  const cache = await caches.open("adtracker-snapshot");
  return (await cache.keys()).map((r) => r.url);
}"""

#: Why WebKitGTK's warm path cannot be shown here (docs/browsers.md says it too).
WEBKIT_EPHEMERAL_CACHE = (
    "WebKitGTK's MiniBrowser under WebDriver runs an ephemeral (private) session: Cache "
    "Storage lives in memory only, and a cache's entries are discarded when no document "
    "holds it open, so a navigation that closes the page loses them (seen in 2.50)"
)


def test_the_next_page_restores_the_snapshot_from_the_cache(
    tab: Driver, collector: Collector, shop: Any
) -> None:
    """A first view makes the snapshot in a Worker and caches it; the next view of the
    same page restores it from Cache Storage (WebKit once lost the Worker's writes)."""
    url = beacon(collector, "click", "ad-warm")
    page_url = shop(ad(url, "ad"))
    tab.goto(page_url)
    tab.wait_ready()
    assert tab.evaluate(_BOOT_PATH) == "worker"
    tab.wait_for(_SETTLED, timeout=60.0, what="the Worker said its cache work is over")
    assert tab.evaluate("() => !!performance.getEntriesByName('adtracker:snapshot-stored').length")
    settled = tab.evaluate(
        "() => performance.getEntriesByName('adtracker:snapshot-settled')[0].detail"
    )
    assert settled["encoding"] == "gzip", settled  # CompressionStream in every engine
    # the Worker is gone: its entries outlive it (the page holds the cache open for WebKit)
    cached = sorted(u.rsplit("/", 1)[1] for u in tab.evaluate(_CACHED))
    assert cached == ["files.bin.gz", "meta.json", "snapshot.pages.gz"], cached
    if tab.engine == "webkit":
        pytest.xfail(WEBKIT_EPHEMERAL_CACHE)

    tab.goto(page_url)
    tab.wait_ready()
    assert tab.evaluate(_BOOT_PATH) == "cache"
    tab.click("#ad")
    assert len(collector.wait_for(1, timeout=10.0)) == 1
    tab.wait_outcome("delivered", url=url)
    assert_clicks(collector, url)


def test_gtm_custom_html_tag_fired_twice_runs_once(
    tab: Driver, site: StaticServer, collector: Collector, shop: Any
) -> None:
    """Injected as Google Tag Manager's Custom HTML tag does it (a local GTM-shaped
    container), by two triggers: one tracker, one delivery, exact as a written tag."""
    from gtm import gtm_page

    shop("")  # serves instrument.js
    url = beacon(collector, "click", "ad-gtm")
    tab.goto(
        gtm_page(
            site,
            collector,
            ad(url, "ad"),
            fires=("gtm.js", "gtm.load"),
            path="/shop/gtm.html",
            head_html=INSTRUMENT_TAG,
        )
    )
    tab.wait_ready()
    tab.wait_for("() => document.querySelectorAll('script[src$=\"tracker.js\"]').length === 2")

    tab.click("#ad")
    assert len(collector.wait_for(1, timeout=10.0)) == 1
    tab.wait_outcome("delivered", url=url)
    settle(tab)
    assert_clicks(collector, url)


def test_beside_prototype_js_polluted_object_and_a_later_fetch_wrapper(
    tab: Driver, collector: Collector, shop: Any, gate: Gate
) -> None:
    """A page with Prototype.js's toJSON and a polluted Object.prototype before the tracker,
    and a monitoring agent's fetch wrapper after it: a pre-boot click (stored as JSON) and a
    later one go out exactly as on a clean page, Referer included, none through the wrapper."""

    early = beacon(collector, "click", "ad-early")
    late = beacon(collector, "click", "ad-late")
    body = after_tracker_js(WRAP_FETCH) + gate.img_html()
    body += ad(early, "early", tag="div") + ad(late, "late", tag="div")
    head = PROTOTYPE_JS_TOJSON + OBJECT_PROTOTYPE_POLLUTION
    goto_still_loading(tab, shop(body, head=head), gate)
    tab.click("#early")
    assert tab.evaluate("() => window.__e2eReady") is False, "not a pre-boot click"
    gate.release()
    tab.wait_ready()
    assert len(collector.wait_for(1, timeout=15.0)) == 1

    tab.click("#late")
    assert len(collector.wait_for(2, timeout=15.0)) == 2
    settle(tab)
    assert_clicks(collector, early, late)
    origin = collector.events()[0].headers.get("origin")
    assert [e.headers.get("referer") for e in collector.events()] == [f"{origin}/"] * 2
    saw = tab.evaluate("() => window.__wrapperSaw")
    assert not any("/v1/beacon/" in url for url in saw), saw


def test_click_that_navigates_is_delivered(
    tab: Driver, site: StaticServer, collector: Collector, shop: Any
) -> None:
    """A click on an ad link that leaves the page still reaches the collector, once."""
    url = beacon(collector, "click", "ad-nav")
    target = site.add_page("/product/1.html", "<!doctype html><title>p</title><p>product</p>")
    tab.goto(shop(ad(url, "ad", href="/product/1.html")))
    tab.wait_ready()

    tab.click("#ad")
    tab.wait_url(target)

    assert len(collector.wait_for(1, timeout=10.0)) == 1
    settle(tab)
    assert_clicks(collector, url)


def test_preboot_click_is_sent_after_boot(
    tab: Driver, collector: Collector, shop: Any, gate: Gate
) -> None:
    """A click while the page still loads (Python not started) is sent at once by the
    loader, and not again by Python once ready."""
    url = beacon(collector, "click", "ad-early")
    goto_still_loading(tab, shop(gate.img_html() + ad(url, "ad", tag="div")), gate)

    tab.click("#ad")

    assert tab.evaluate("() => window.__e2eReady") is False, "not a pre-boot click"
    assert len(collector.wait_for(1, timeout=10.0)) == 1  # Python's start is still held
    gate.release()
    tab.wait_ready()
    settle(tab)
    assert_clicks(collector, url)


def test_preboot_click_that_navigates_is_sent_by_next_page(
    tab: Driver, collector: Collector, shop: Any, gate: Gate
) -> None:
    """A pre-boot click on a link that leaves: sent by the loader, or kept in localStorage
    for the next page to send (a loader attempt the page left unanswered: one copy)."""
    url = beacon(collector, "click", "ad-early-nav")
    second = shop("<p>second page</p>", path="/shop/second.html")
    goto_still_loading(tab, shop(gate.img_html() + ad(url, "ad", href="/shop/second.html")), gate)

    tab.click("#ad")
    tab.wait_url(second)
    gate.release()

    tab.wait_ready()
    tab.wait_for(f"() => (window.__e2eEvents || []).some((e) => e.url === {json.dumps(url)})")
    expected = copies_of_a_navigating_preboot_click(tab.tracker_events(), url)
    assert len(collector.wait_for(expected, timeout=COPY_WITHIN_SECONDS)) == expected
    settle(tab, 1.5)
    assert_clicks(collector, *[url] * expected)  # the copy: the same ids (BODY)


_STORED_ADS = """() => (JSON.parse(localStorage.getItem('adtracker:preboot') || '[]'))
  .filter((x) => 'g' in x && x.p !== null).length"""


def test_ads_seen_on_a_page_left_before_ready_are_counted_by_the_next_page(
    tab: Driver, collector: Collector, shop: Any, gate: Gate
) -> None:
    """A first visit on a slow start: an impression ad and a banner in view for 1.5 s,
    then an organic link (Python never started on that page). The next page sends the
    impression of each and the banner's view, each once (the loader's observations)."""
    imp = beacon(collector, "impression", "pre-card")
    b_imp, b_view = (
        beacon(collector, "impression", "pre-banner"),
        beacon(collector, "view", "pre-banner"),
    )
    second = shop("<p>second page</p>", path="/shop/after-ads.html")
    body = (
        gate.img_html()
        + f'<div id="card" style="{BOX}" data-ad-impression-url="{imp}">Sponsored</div>'
        + f'<div id="banner" style="{BOX}" data-ad-impression-url="{b_imp}"'
        + f' data-ad-view-url="{b_view}">B</div>'
        + '<a id="next" href="/shop/after-ads.html">next</a>'
    )
    goto_still_loading(tab, shop(body), gate)
    tab.wait_for(f"() => ({_STORED_ADS})() === 2", timeout=10.0, what="the loader stored both ads")
    tab.pause(1.5)  # the shopper looks for 1.5 s, then leaves before ready

    tab.click("#next")
    tab.wait_url(second)
    gate.release()
    tab.wait_ready()

    assert len(collector.wait_for(3, timeout=15.0)) == 3
    settle(tab, 1.5)
    events = collector.events()
    assert sorted((e.kind, e.path) for e in events) == sorted(
        [("impression", path_of(imp)), ("impression", path_of(b_imp)), ("view", path_of(b_view))]
    ), events
    assert all(e.status == 202 and e.errors == [] and e.body_json == BODY for e in events)


def test_impression_and_banner_view(tab: Driver, collector: Collector, shop: Any) -> None:
    """A painted ad in view → one impression; a banner in view for 1 s → one view."""
    imp = beacon(collector, "impression", "card-1")
    view = beacon(collector, "view", "banner-1")
    view_imp = beacon(collector, "impression", "banner-1")
    click = beacon(collector, "click", "card-1")
    body = ad(click, "card", data_ad_impression_url=imp) + ad(
        beacon(collector, "click", "banner-1"),
        "banner",
        data_ad_impression_url=view_imp,
        data_ad_view_url=view,
    )
    tab.goto(shop(body))
    tab.wait_ready()

    assert len(collector.wait_for(3, timeout=15.0)) == 3
    tab.wait_outcome("delivered", url=view)
    settle(tab, 1.5)
    events = collector.events()
    assert sorted((e.kind, e.path) for e in events) == sorted(
        [("impression", path_of(imp)), ("impression", path_of(view_imp)), ("view", path_of(view))]
    ), events
    assert all(e.status == 202 and e.errors == [] and e.body_json == BODY for e in events)


#: Known SHA-256 digests of the normalised values (computed independently, not by us).
EMAIL_SHA256 = "321ba197033e81286fedb719d60d4ed5cecaed170733cb4a92013811afc0e3b6"  # foo@…
PHONE_SHA256 = "38225ec3dccec4189659c110ddc4f3dc9c27539850cb6a9ddae31ae03a5cf441"  # +5511…


def test_conversion_with_hashed_data(tab: Driver, collector: Collector, shop: Any) -> None:
    """Raw e-mail and phone in → normalised SHA-256 out (known digests); raw never sent."""
    assert hashlib.sha256(b"foo@example.com").hexdigest() == EMAIL_SHA256
    assert hashlib.sha256(b"+5511987654321").hexdigest() == PHONE_SHA256
    conversion = collector.url("/v1/beacon/conversion")
    attrs = {"data-conversion-url": conversion, "data-publisher-id": "publisher-e2e"}
    tab.goto(shop("<p>Thank you</p>", attrs=attrs))
    tab.wait_ready()

    order = {
        "order_id": "order-x",
        "email": "  Foo@Example.COM ",
        "phone": "(11) 98765-4321",
        "items": [{"sku": "s-1", "quantity": 2, "price": 129.9, "promotional_price": 99.9}],
    }
    tab.evaluate("(order) => { window.adTracker.push(['conversion', order]); }", order)

    assert len(collector.wait_for(1, timeout=15.0)) == 1
    tab.wait_outcome("delivered", url=conversion)
    settle(tab)
    events = collector.events()
    assert len(events) == 1, events
    ev = events[0]
    assert (ev.kind, ev.status, ev.errors) == ("conversion", 202, [])
    assert ev.body_json["email_hashed"] == EMAIL_SHA256
    assert ev.body_json["phone_hashed"] == PHONE_SHA256
    assert ev.body_json["order_id"] == "order-x"
    assert ev.body_json["items"] == order["items"]
    assert ev.body_json["publisher_id"] == "publisher-e2e"
    assert "email" not in ev.body_json and "phone" not in ev.body_json
    assert "example" not in ev.body_text.lower() and "98765" not in ev.body_text


def test_503_then_202_is_retried(tab: Driver, collector: Collector, shop: Any) -> None:
    """A 503 answer is retried; the 202 ends it: two POSTs received, one accepted."""
    collector.add_fault("/v1/beacon/click/ad-503", 503, times=1)
    url = beacon(collector, "click", "ad-503")
    tab.goto(shop(ad(url, "ad"), attrs=FAST))
    tab.wait_ready()

    tab.click("#ad")

    assert len(collector.wait_for(1, timeout=15.0)) == 1  # accepted
    tab.wait_outcome("delivered", url=url)
    settle(tab)
    events = collector.events()
    assert [e.status for e in events] == [503, 202], events
    assert [e.path for e in events] == [path_of(url)] * 2
    assert all(e.body_json == BODY for e in events)
    assert len(tab.outcomes("failed", url)) == 1


_STORAGE_GETTER_THROWS = """<script>
Object.defineProperty(window, "localStorage", {
  configurable: true,
  get() { throw new DOMException("The operation is insecure.", "SecurityError"); },
});
</script>
"""
_STORAGE_WRITES_THROW = """<script>
Storage.prototype.setItem = function () {
  throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
};
</script>
"""


@pytest.mark.parametrize(
    "breaker",
    [_STORAGE_GETTER_THROWS, _STORAGE_WRITES_THROW],
    ids=["getter-throws", "setItem-throws"],
)
def test_throwing_storage_still_delivers_and_dedups(
    tab: Driver, collector: Collector, shop: Any, gate: Gate, breaker: str
) -> None:
    """localStorage throws (blocked cookies, private mode, full): a pre-boot click and a
    click are delivered; a second click on the same ad is still deduplicated (memory)."""
    early = beacon(collector, "click", "ad-store-early")
    url = beacon(collector, "click", "ad-store")
    body = gate.img_html() + ad(early, "early", tag="div") + ad(url, "ad", tag="div")
    goto_still_loading(tab, shop(body, head=breaker), gate)
    assert tab.evaluate(
        "() => { try { localStorage.setItem('e2e', '1'); return false; } catch { return true; } }"
    ), "storage is not broken: the test would prove nothing"
    tab.click("#early")
    gate.release()
    tab.wait_ready()

    tab.click("#ad")
    tab.click("#ad")

    tab.wait_outcome("deduplicated", url=url)
    assert len(collector.wait_for(2, timeout=10.0)) == 2
    settle(tab)
    assert_clicks(collector, early, url)


def test_strict_csp_works(tab: Driver, collector: Collector, shop: Any) -> None:
    """The README's CSP (no 'unsafe-eval', no inline script): ready, and a click delivered."""
    url = beacon(collector, "click", "ad-csp")
    csp = STRICT_CSP.format(collector.origin)
    # No inline style on the page: this CSP would block it (Firefox reports that).
    tab.goto(shop(ad(url, "ad", style=None), headers={"Content-Security-Policy": csp}))
    tab.wait_ready()

    tab.click("#ad")

    assert len(collector.wait_for(1, timeout=10.0)) == 1
    tab.wait_outcome("delivered", url=url)
    settle(tab)
    assert_clicks(collector, url)


def test_csp_without_wasm_unsafe_eval_rejects_ready(
    tab: Driver, site: StaticServer, collector: Collector, shop: Any
) -> None:
    """script-src 'self' alone: ready rejects naming 'wasm-unsafe-eval'; the link still
    works; the click is sent by the loader, or waits in localStorage for a page that can
    start."""
    landing = site.add_page("/shop/landing.html", "<!doctype html><title>l</title><p>l</p>")
    url = beacon(collector, "click", "ad-csp-blocked")
    headers = {"Content-Security-Policy": "script-src 'self'"}
    tab.goto(shop(ad(url, "ad", href="/shop/landing.html", style=None), headers=headers))
    # Firefox reports the blocked compilation as a page error (a CSP report, not an
    # exception: the loader catches it and rejects ready); that one is expected here.
    tab.expect_errors("blocked WebAssembly")

    started = time.monotonic()
    state = tab.ready_state(30.0)

    assert state["ok"] is False, state
    assert "'wasm-unsafe-eval'" in state["reason"], state
    assert time.monotonic() - started < 20.0
    tab.click("#ad")
    tab.wait_url(landing)
    stored = tab.evaluate("() => JSON.parse(localStorage.getItem('adtracker:preboot'))")
    assert [item["u"] for item in stored] == [url], stored
    if "o" in stored[0]:  # the loader sent it before the page went (the CSP allows fetch)
        assert [e.path for e in collector.wait_for(1, timeout=10.0)] == [path_of(url)]
    else:
        assert collector.events() == []


_PUSH_STATE = """(path) => {
  history.pushState({step: 1}, "", path);
  const kept = history.state && history.state.step === 1;
  history.replaceState(null, "", path);
  let error = null;
  try { history.pushState(null, "", "https://elsewhere.invalid/"); }
  catch (err) { error = /SecurityError/.test(`${err.name} ${err.message}`); }  // another origin
  return {kept, isNull: history.state === null, path: location.pathname, error};
}"""


def test_pushstate_route_change_starts_a_new_page_view(
    tab: Driver, collector: Collector, shop: Any
) -> None:
    """history.pushState to a new path is a new page view (the Navigation API where the
    engine has it, else wrapped pushState/replaceState): the ad's impression is looked at
    again and deduplicated (per minute); history.state is untouched by the wrapping and
    the browser's own error still reaches the caller."""
    imp = beacon(collector, "impression", "card-r")
    tab.goto(shop(ad(beacon(collector, "click", "card-r"), "card", data_ad_impression_url=imp)))
    tab.wait_ready()
    assert len(collector.wait_for(1, timeout=15.0)) == 1
    tab.wait_outcome("delivered", url=imp)

    moved = tab.evaluate(_PUSH_STATE, "/shop/route-2")

    assert moved == {
        "kept": True,
        "isNull": True,
        "path": "/shop/route-2",
        "error": True,  # still thrown (where wrapped, inside a PythonError naming it)
    }, moved
    tab.wait_outcome("deduplicated", url=imp, timeout=15.0)
    settle(tab)
    assert len(collector.events()) == 1, collector.events()


#: A store's consent banner with Google Consent Mode: gtag, and the default before any choice.
GTAG_DEFAULT_DENIED = (
    "<script>window.dataLayer = window.dataLayer || [];"
    "function gtag(){dataLayer.push(arguments);}"
    "gtag('consent', 'default', {ad_storage: 'denied'});</script>\n"
)
OUR_KEYS = "() => Object.keys(localStorage).filter((k) => k.startsWith('adtracker:'))"


def test_consent_from_consent_mode(tab: Driver, collector: Collector, shop: Any) -> None:
    """data-consent-from="gcm": under Consent Mode's default denied the tracker is pending
    (a click waits; nothing sent, nothing stored); the banner's update granted, seen
    through the wrapped dataLayer.push, sends it once."""
    url = beacon(collector, "click", "ad-gcm")
    attrs = {"data-consent-from": "gcm"}
    tab.goto(shop(ad(url, "ad"), attrs=attrs, head=GTAG_DEFAULT_DENIED))
    tab.wait_ready()

    tab.click("#ad")
    tab.wait_outcome("queued", url=url)
    settle(tab)
    assert collector.events() == []
    assert tab.evaluate(OUR_KEYS) == []
    tab.evaluate("() => { gtag('consent', 'update', {ad_storage: 'granted'}); }")

    assert len(collector.wait_for(1, timeout=10.0)) == 1
    tab.wait_outcome("delivered", url=url)
    settle(tab)
    assert_clicks(collector, url)
    assert "adtracker:ids" in tab.evaluate(OUR_KEYS)


#: A store's script writing its session cookie; where the browser has the Cookie Store API,
#: resolves once its change event was dispatched (the tracker's listener runs first).
WRITE_COOKIE = """(cookie) => new Promise((resolve) => {
  if (!window.cookieStore) { document.cookie = cookie; resolve("no Cookie Store API"); return; }
  cookieStore.addEventListener("change", () => resolve("change event"), { once: true });
  document.cookie = cookie;
})"""


def test_session_id_from_a_cookie_follows_it(tab: Driver, collector: Collector, shop: Any) -> None:
    """data-session-id-from="cookie:…": each click carries the cookie's value as session_id,
    also after the store's script changed it (the engine's Cookie Store API, where it has
    one, says when to read document.cookie again)."""
    first, second = beacon(collector, "click", "ad-c1"), beacon(collector, "click", "ad-c2")
    attrs = {"data-session-id": None, "data-session-id-from": "cookie:shop_sid"}
    head = "<script>document.cookie = 'shop_sid=before-login; path=/';</script>\n"
    tab.goto(shop(ad(first, "first") + ad(second, "second"), attrs=attrs, head=head))
    tab.wait_ready()
    tab.click("#first")
    assert len(collector.wait_for(1, timeout=10.0)) == 1

    how = tab.evaluate(WRITE_COOKIE, "shop_sid=after-login; path=/")
    tab.click("#second")

    assert len(collector.wait_for(2, timeout=10.0)) == 2
    tab.wait_outcome("delivered", url=second)
    settle(tab)
    sessions = [e.body_json["session_id"] for e in collector.events()]
    assert sessions == ["before-login", "after-login"], (sessions, how)
    assert all(e.body_json["user_id"] == HOST_USER_ID for e in collector.events())


#: The QA overlay's line for one ad and kind: ``{outcome, text}``, or null.
_OVERLAY_LINE = """(ad, kind) => {
  const host = document.querySelector("[data-adtracker-overlay]");
  const label = host && host.shadowRoot.querySelector(`.label[data-ad="${ad}"]`);
  const line = label && label.querySelector(`.line[data-kind="${kind}"]`);
  return line ? {outcome: line.dataset.outcome || "", text: line.textContent} : null;
}"""
_OVERLAY_LAYER = """() => {
  const s = getComputedStyle(document.querySelector("[data-adtracker-overlay]"));
  return [s.position, s.pointerEvents];
}"""


def test_the_qa_overlay_draws_the_tracker_s_decisions(
    tab: Driver, collector: Collector, shop: Any
) -> None:
    """data-debug="overlay": the label beside the ad shows its impression and its click
    as delivered; the layer is fixed and lets the click through (exactly one of each)."""
    imp = beacon(collector, "impression", "card-o")
    click = beacon(collector, "click", "card-o")
    tab.goto(shop(ad(click, "card", data_ad_impression_url=imp), attrs={"data-debug": "overlay"}))
    tab.wait_ready()
    line = "(ad, kind, outcome) => { const l = (" + _OVERLAY_LINE + ")(ad, kind);"
    delivered = line + " return l && l.outcome === outcome; }"
    tab.wait_for(delivered, "card", "impression", "delivered", timeout=15.0, what="impression")
    assert tab.evaluate(_OVERLAY_LAYER) == ["fixed", "none"]
    tab.click("#card")
    tab.wait_for(delivered, "card", "click", "delivered", timeout=15.0, what="click delivered")
    assert tab.evaluate(_OVERLAY_LINE, "card", "click")["text"] == "click delivered: HTTP 202"
    settle(tab)
    assert sorted(e.path for e in collector.events()) == sorted([path_of(imp), path_of(click)])
