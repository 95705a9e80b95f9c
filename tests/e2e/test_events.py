"""Impressions, views, dynamic pages, conversions and the command queue, end to end.

The built dist runs in headless Chromium; beacons go to a local collector that validates
every body against VTEX's OpenAPI schema. Every test asserts exact counts at the
collector. Positive cases wait on the collector (bounded); negative cases wait for a
proof that the tracker was watching (a control event or its own ``adtracker:event``
decision) and then a grace period before counting. Timing claims (a view needs one full
second) compare the collector's arrival time with a ``Date.now()`` taken in the page:
both read the same machine clock.
"""

from __future__ import annotations

import hashlib
import html
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from e2e_helpers import HOST_SESSION_ID, HOST_USER_ID, MOUNT, path_of

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from devserver import Collector

PUBLISHER_ID = "publisher-e2e"

#: A banner-sized ad: 300 × 100 px, so "50 % of its own area" is well defined.
BOX = "display:block;width:300px;height:100px;background:#eee"
#: Pushes whatever follows it below the fold (the default viewport is 1280 × 720).
SPACER = '<div style="height:2400px">spacer</div>'

#: Records (in the page) when ``adTracker.ready`` resolves. The tracker starts observing
#: ads in the same task that resolves ``ready``, so no ad is seen as visible before it.
RECORD_READY_AT = """<script>
(function poll() {
  if (window.adTracker && window.adTracker.ready) {
    window.adTracker.ready.then(() => { window.__e2eReadyAt = Date.now(); }, () => {});
  } else {
    setTimeout(poll, 5);
  }
})();
</script>"""


# --------------------------------------------------------------------------- helpers


def beacon_url(collector: Collector, kind: str, ad_id: str, query: str = "?pos=1&sig=x") -> str:
    return collector.url(f"/v1/beacon/{kind}/{ad_id}{query}")


def to(collector: Collector, url: str) -> list[Any]:
    """Every POST the collector received for exactly this URL."""
    return [e for e in collector.events() if e.path == path_of(url)]


def of_kind(collector: Collector, kind: str) -> list[Any]:
    return [e for e in collector.events() if e.kind == kind]


def wait_to(collector: Collector, url: str, n: int = 1, timeout: float = 15.0) -> list[Any]:
    """Poll (bounded) until ``n`` POSTs for ``url`` arrived; return them."""
    deadline = time.monotonic() + timeout
    while True:
        got = to(collector, url)
        if len(got) >= n or time.monotonic() >= deadline:
            return got
        time.sleep(0.05)


def ad_div(ad_id: str, *, style: str = BOX, text: str = "Ad", **attrs: str) -> str:
    """A ``<div>`` ad with the given ``data-ad-*`` attributes (underscores → dashes)."""
    rendered = " ".join(
        f'{name.replace("_", "-")}="{html.escape(value, quote=True)}"'
        for name, value in attrs.items()
    )
    return f'<div id="{ad_id}" style="{style}" {rendered}>{html.escape(text)}</div>'


def page_with_head_script(
    site: Any,
    collector: Collector,
    head_script: str,
    body_html: str,
    *,
    attrs: Mapping[str, str | None] | None = None,
    path: str | None = None,
) -> str:
    """Like conftest's ``make_page``, but with an inline script placed BEFORE the tracker
    tag, so it certainly runs before the loader (the documented command-queue snippet)."""
    merged: dict[str, str | None] = {
        "data-beacon-origins": collector.origin,
        "data-user-id": HOST_USER_ID,
        "data-session-id": HOST_SESSION_ID,
        "data-debug": "",
        **(attrs or {}),
    }
    parts = []
    for name, value in merged.items():
        if value is None:
            continue
        parts.append(name if value == "" else f'{name}="{html.escape(value, quote=True)}"')
    tag = f'<script async src="{MOUNT}tracker.js" {" ".join(parts)}></script>'
    page_html = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>e2e queue page</title>\n<script>\n{head_script}\n</script>\n{tag}\n"
        f"</head>\n<body>\n{body_html}\n</body></html>\n"
    )
    if path is None:
        path = f"/shop/queue-{time.monotonic_ns()}.html"
    return site.add_page(path, page_html)


def conversion_attrs(collector: Collector, **extra: str | None) -> dict[str, str | None]:
    return {
        "data-conversion-url": collector.url("/v1/beacon/conversion"),
        "data-publisher-id": PUBLISHER_ID,
        **extra,
    }


def storage_dump(page: Page) -> dict[str, str]:
    return page.evaluate(
        "() => Object.fromEntries(Object.keys(localStorage).map(k => [k, localStorage.getItem(k)]))"
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assert_valid_event_body(event: Any, user_id: str, session_id: str) -> None:
    assert event.status == 202, event
    assert event.errors == [], event.errors
    assert event.headers.get("content-type") == "application/json"
    assert event.body_json == {"user_id": user_id, "session_id": session_id}


# --------------------------------------------------------------------------- impressions


def test_impression_below_the_fold_fires_only_after_scrolling(
    page, page_log, collector, ready_page, grace
):
    """Below the fold: nothing at load; scrolled into view → exactly one impression."""
    url = beacon_url(collector, "impression", "ad-fold")
    body = SPACER + ad_div("ad", data_ad_impression_url=url)
    ready_page(body)
    assert page.evaluate(
        "() => document.getElementById('ad').getBoundingClientRect().top > innerHeight"
    )

    grace(page, 1_500)
    assert collector.events() == [], "an impression was sent for an ad below the fold"

    page.evaluate("() => document.getElementById('ad').scrollIntoView({block: 'center'})")

    assert len(wait_to(collector, url)) == 1
    page_log.wait_outcome(page, "delivered", url=url)
    grace(page)
    events = collector.events()
    assert len(events) == 1, events
    assert events[0].kind == "impression"
    assert events[0].ad_id == "ad-fold"
    assert events[0].path == path_of(url)
    assert_valid_event_body(events[0], HOST_USER_ID, HOST_SESSION_ID)


def test_hidden_ads_never_send_impressions_until_shown(
    page, page_log, collector, ready_page, grace
):
    """display:none, hidden ancestor, zero size, closed <details>, content-visibility:hidden:
    all in the viewport, none sends; a visible control does. Opening <details> → one."""
    small = "display:block;width:200px;height:40px"
    urls = {
        name: beacon_url(collector, "impression", f"ad-{name}")
        for name in ("control", "none", "ancestor", "zero", "details", "cv")
    }
    body = (
        ad_div("control", style=small, data_ad_impression_url=urls["control"])
        + ad_div(
            "none",
            style="display:none;width:200px;height:40px",
            data_ad_impression_url=urls["none"],
        )
        + '<div style="visibility:hidden">'
        + ad_div("ancestor", style=small, data_ad_impression_url=urls["ancestor"])
        + "</div>"
        + ad_div(
            "zero",
            style="display:block;width:0;height:0;overflow:hidden",
            data_ad_impression_url=urls["zero"],
        )
        + '<details id="det"><summary>More offers</summary>'
        + ad_div("details", style=small, data_ad_impression_url=urls["details"])
        + "</details>"
        + '<div style="content-visibility:hidden">'
        + ad_div("cv", style=small, data_ad_impression_url=urls["cv"])
        + "</div>"
    )
    ready_page(body)

    # The <details> summary (and so its content once opened) is within the viewport.
    assert page.evaluate("() => document.getElementById('det').getBoundingClientRect().top") < 400
    assert len(wait_to(collector, urls["control"])) == 1  # the tracker is watching
    grace(page, 2_000)
    events = collector.events()
    assert [e.path for e in events] == [path_of(urls["control"])], events
    assert_valid_event_body(events[0], HOST_USER_ID, HOST_SESSION_ID)

    page.evaluate("() => { document.getElementById('det').open = true; }")

    assert len(wait_to(collector, urls["details"])) == 1
    grace(page)
    events = collector.events()
    assert len(events) == 2, events
    assert events[1].path == path_of(urls["details"])
    assert_valid_event_body(events[1], HOST_USER_ID, HOST_SESSION_ID)
    for name in ("none", "ancestor", "zero", "cv"):
        assert to(collector, urls[name]) == [], name


# --------------------------------------------------------------------------- views


def test_view_needs_one_full_second_in_view(page, page_log, collector, ready_page, grace):
    """A banner in view from load → exactly one view, arriving ≥ 1 s after the tracker
    could first see it (ready), and not stalled well beyond."""
    url = beacon_url(collector, "view", "banner-1")
    ready_page(RECORD_READY_AT + ad_div("banner", data_ad_view_url=url))
    page.wait_for_function("() => typeof window.__e2eReadyAt === 'number'", timeout=5_000)
    ready_at = page.evaluate("() => window.__e2eReadyAt") / 1000.0

    # ~0.7 s after ready: no view yet (the same bound is re-checked with arrival times).
    page.wait_for_timeout(max(0, int((ready_at + 0.7 - time.time()) * 1000)))
    early = [e for e in to(collector, url) if e.received_at < ready_at + 0.7]
    assert early == [], early

    views = wait_to(collector, url)
    assert len(views) == 1, views
    delay = views[0].received_at - ready_at
    assert delay >= 1.0, f"the view arrived {delay:.3f} s after the banner could be seen"
    assert delay < 5.0, f"the view took {delay:.3f} s"
    page_log.wait_outcome(page, "delivered", url=url)
    grace(page, 1_500)
    events = collector.events()
    assert len(events) == 1, events
    assert events[0].kind == "view"
    assert_valid_event_body(events[0], HOST_USER_ID, HOST_SESSION_ID)


_SCROLL_IN_THEN_AWAY = """(ms) => new Promise((resolve) => {
  const ad = document.getElementById("banner");
  ad.scrollIntoView({block: "center"});
  const shownAt = performance.now();
  setTimeout(() => {
    window.scrollTo(0, 0);
    resolve({
      shownFor: performance.now() - shownAt,
      topAfter: ad.getBoundingClientRect().top,
    });
  }, ms);
})"""


def test_banner_scrolled_away_after_half_a_second_gives_no_view(
    page, page_log, collector, ready_page, grace
):
    """In view for 0.5 s then scrolled away → no view (an impression is fine). Scrolled
    back and kept in view → the timer restarts from zero and exactly one view follows."""
    view = beacon_url(collector, "view", "banner-away")
    impression = beacon_url(collector, "impression", "banner-away")
    banner = ad_div("banner", data_ad_view_url=view, data_ad_impression_url=impression)
    ready_page(SPACER + banner + SPACER)
    grace(page, 500)
    assert collector.events() == []

    result = page.evaluate(_SCROLL_IN_THEN_AWAY, 500)
    assert result["shownFor"] < 900, f"the page was too slow to test 0.5 s: {result!r}"
    assert result["topAfter"] > page.evaluate("() => innerHeight"), result

    # The tracker did see the banner in view: its impression arrives.
    assert len(wait_to(collector, impression)) == 1
    grace(page, 2_000)
    assert of_kind(collector, "view") == [], of_kind(collector, "view")

    page.evaluate("() => document.getElementById('banner').scrollIntoView({block: 'center'})")
    shown_at = page.evaluate("() => Date.now()") / 1000.0
    views = wait_to(collector, view)
    assert len(views) == 1, views
    assert views[0].received_at - shown_at >= 0.9, views[0].received_at - shown_at
    grace(page)
    assert len(of_kind(collector, "view")) == 1
    assert len(of_kind(collector, "impression")) == 1
    assert_valid_event_body(views[0], HOST_USER_ID, HOST_SESSION_ID)


#: Runs before any page script: the document reports itself hidden until the test flips
#: ``window.__e2eVisibility`` (a background tab that the user later switches to).
_HIDDEN_TAB = """
window.__e2eVisibility = "hidden";
Object.defineProperty(document, "visibilityState", {
  configurable: true, get: () => window.__e2eVisibility,
});
Object.defineProperty(document, "hidden", {
  configurable: true, get: () => window.__e2eVisibility !== "visible",
});
"""

_SHOW_TAB = """() => {
  const at = Date.now();
  window.__e2eVisibility = "visible";
  document.dispatchEvent(new Event("visibilitychange"));
  return at;
}"""


def test_background_tab_gives_no_view_until_shown(page, page_log, collector, ready_page, grace):
    """Hidden tab, banner in view: no view for 2.5 s; tab shown → exactly one view ≥ 1 s later."""
    view = beacon_url(collector, "view", "banner-bg")
    impression = beacon_url(collector, "impression", "banner-bg")
    page.add_init_script(_HIDDEN_TAB)
    banner = ad_div("banner", data_ad_view_url=view, data_ad_impression_url=impression)
    ready_page(banner)
    assert page.evaluate("() => [document.visibilityState, document.hidden]") == ["hidden", True]

    # The tracker sees the banner (its impression is painted-and-in-viewport only)...
    assert len(wait_to(collector, impression)) == 1
    grace(page, 2_500)
    # ...but a hidden tab accumulates no view time.
    assert of_kind(collector, "view") == [], of_kind(collector, "view")

    shown_at = page.evaluate(_SHOW_TAB) / 1000.0

    views = wait_to(collector, view)
    assert len(views) == 1, views
    delay = views[0].received_at - shown_at
    assert delay >= 1.0, f"the view arrived {delay:.3f} s after the tab was shown"
    grace(page)
    assert len(of_kind(collector, "view")) == 1
    assert len(collector.events()) == 2, collector.events()
    assert_valid_event_body(views[0], HOST_USER_ID, HOST_SESSION_ID)


# --------------------------------------------------------------------------- dynamic pages

_INSERT_AFTER_READY = """<div id="slot"></div>
<script>
(function poll() {
  if (!(window.adTracker && window.adTracker.ready)) return setTimeout(poll, 5);
  window.adTracker.ready.then(() => setTimeout(() => {
    const a = document.createElement("a");
    a.id = "late";
    a.href = "#late";
    a.textContent = "late ad";
    a.style.cssText = "display:inline-block;width:200px;height:40px";
    a.setAttribute("data-ad-impression-url", %s);
    a.setAttribute("data-ad-click-url", %s);
    document.getElementById("slot").appendChild(a);
    window.__e2eInserted = true;
  }, 2000), () => {});
})();
</script>"""


def test_ad_inserted_later_gets_impression_and_click(page, page_log, collector, ready_page, grace):
    """An ad inserted 2 s after the tracker is live → one impression; clicked → one click."""
    impression = beacon_url(collector, "impression", "ad-late")
    click = beacon_url(collector, "click", "ad-late")
    body = _INSERT_AFTER_READY % (json.dumps(impression), json.dumps(click))
    ready_page(body)
    assert page.evaluate("() => window.__e2eInserted === true") is False  # not yet there

    page.wait_for_function("() => window.__e2eInserted === true", timeout=10_000)
    assert len(wait_to(collector, impression)) == 1
    page.click("#late")
    assert len(wait_to(collector, click)) == 1
    page_log.wait_outcome(page, "delivered", count=2)
    grace(page)

    events = collector.events()
    assert len(events) == 2, events
    assert [e.kind for e in events] == ["impression", "click"]
    for event in events:
        assert_valid_event_body(event, HOST_USER_ID, HOST_SESSION_ID)


_ROUTE_CHANGE = """([viewB, viewC, removeAfterMs]) => {
  history.pushState({}, "", "/shop/route2");
  const add = (id, url) => {
    const div = document.createElement("div");
    div.id = id;
    div.textContent = id;
    div.style.cssText = "display:block;width:300px;height:100px;background:#ddd";
    div.setAttribute("data-ad-view-url", url);
    document.body.appendChild(div);
    return div;
  };
  add("banner-b", viewB);
  const c = add("banner-c", viewC);
  setTimeout(() => { c.remove(); window.__e2eRemovedC = true; }, removeAfterMs);
  return location.pathname;
}"""


def test_route_change_starts_a_new_page_view(page, page_log, collector, ready_page, grace):
    """pushState to a new path → a new page view: the same banner's view is tried again but
    deduplicated (per minute), a new banner gets its view, a removed one gets none."""
    view_a = beacon_url(collector, "view", "banner-a")
    impression_a = beacon_url(collector, "impression", "banner-a")
    view_b = beacon_url(collector, "view", "banner-b")
    view_c = beacon_url(collector, "view", "banner-c")
    banner_a = ad_div("banner-a", data_ad_view_url=view_a, data_ad_impression_url=impression_a)
    ready_page(banner_a)
    assert len(wait_to(collector, view_a)) == 1
    assert len(wait_to(collector, impression_a)) == 1
    page_log.wait_outcome(page, "delivered", count=2)
    assert page_log.outcomes("deduplicated") == []

    path = page.evaluate(_ROUTE_CHANGE, [view_b, view_c, 300])
    assert path == "/shop/route2"

    assert len(wait_to(collector, view_b)) == 1
    # banner A is watched again for the new page view; the view rule's per-minute dedup
    # holds it back (and the impression's, re-evaluated, too).
    dup = page_log.wait_outcome(page, "deduplicated", url=view_a, timeout=15.0)
    assert {d["type"] for d in dup} == {"view"}
    page_log.wait_outcome(page, "deduplicated", url=impression_a, timeout=15.0)
    assert page.evaluate("() => window.__e2eRemovedC === true") is True
    grace(page, 2_000)

    assert len(to(collector, view_a)) == 1
    assert len(to(collector, impression_a)) == 1
    assert len(to(collector, view_b)) == 1
    assert to(collector, view_c) == [], "a banner removed before its second got a view"
    assert [d for d in page_log.tracker_events if d.get("url") == view_c] == []
    assert len(collector.events()) == 3, collector.events()
    for event in collector.events():
        assert_valid_event_body(event, HOST_USER_ID, HOST_SESSION_ID)


# --------------------------------------------------------------------------- conversions

RAW_PERSONAL = {
    "email": " Foo@Example.COM ",
    "phone": "(11) 98765-4321",
    "social_id": "123.456.789-09",
    "first_name": " Ana  Maria ",
    "last_name": "Silva",
}
NORMALISED = {
    "email": "foo@example.com",
    "phone": "+5511987654321",
    "social_id": "12345678909",
    "first_name": "Ana Maria",
    "last_name": "Silva",
}
#: Raw and normalised personal values, and recognisable fragments: none may leak.
PERSONAL_TEXTS = [
    *RAW_PERSONAL.values(),
    *NORMALISED.values(),
    "Foo@Example",
    "example.com",
    "98765-4321",
    "11987654321",
    "123.456.789",
    "Ana  Maria",
]
ITEMS = [
    {"sku": "sku-1", "quantity": 2, "price": 129.9, "promotional_price": 99.9},
    {"sku": "sku-2", "quantity": 1, "price": 10, "promotional_price": 10},
]


def leaked(text: str) -> list[str]:
    low = text.lower()
    return [p for p in PERSONAL_TEXTS if p.lower() in low]


def test_conversion_hashes_personal_data_and_leaks_nothing(
    page, page_log, collector, ready_page, grace
):
    """Raw PII in → *_hashed (normalised SHA-256) out; raw values nowhere: not in the body,
    localStorage or console. Schema-valid, created_at in UTC, the tracker's own ids."""
    conversion_url = collector.url("/v1/beacon/conversion")
    attrs = conversion_attrs(collector, **{"data-user-id": None, "data-session-id": None})
    ready_page("<p>Thank you for your order</p>", attrs=attrs)
    ids = json.loads(storage_dump(page)["adtracker:ids"])

    order = {"order_id": "order-8", "items": ITEMS, **RAW_PERSONAL}
    before = datetime.now(UTC)
    page.evaluate("(order) => window.adTracker.push(['conversion', order])", order)

    got = collector.wait_for(1, timeout=15.0)
    assert len(got) == 1, collector.events()
    page_log.wait_outcome(page, "delivered", url=conversion_url)
    grace(page)
    events = collector.events()
    assert len(events) == 1, events
    ev = events[0]
    assert ev.kind == "conversion"
    assert ev.path == "/v1/beacon/conversion"
    assert ev.status == 202
    assert ev.errors == [], ev.errors
    body = ev.body_json
    expected = {f"{name}_hashed": sha256(value) for name, value in NORMALISED.items()}
    assert expected["email_hashed"] == (
        "321ba197033e81286fedb719d60d4ed5cecaed170733cb4a92013811afc0e3b6"
    )
    for key, digest in expected.items():
        assert body.get(key) == digest, (key, body.get(key))
    assert set(body) == {
        "channel",
        "publisher_id",
        "user_id",
        "session_id",
        "order_id",
        "items",
        "created_at",
        *expected,
    }, sorted(body)
    assert [k for k in RAW_PERSONAL if k in body] == []
    assert body["channel"] == "ecommerce"
    assert body["publisher_id"] == PUBLISHER_ID
    assert body["order_id"] == "order-8"
    assert body["user_id"] == ids["anon_user_id"]
    assert body["session_id"] == ids["session_id"]
    assert body["items"] == ITEMS  # per-unit prices, unchanged (not × quantity)
    assert body["created_at"].endswith("Z"), body["created_at"]
    created = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    assert abs((created - before).total_seconds()) < 60, (created, before)

    assert leaked(ev.body_text) == [], ev.body_text
    storage = storage_dump(page)
    assert leaked(json.dumps(storage, ensure_ascii=False)) == [], storage
    console = "\n".join(m.text for m in page_log.console)
    assert leaked(console) == [], console
    decisions = json.dumps(page_log.tracker_events, ensure_ascii=False)
    assert leaked(decisions) == [], decisions


def test_reloaded_confirmation_page_sends_nothing_again(
    page, page_log, site, collector, wait_ready, grace
):
    """The conversion queued before the loader runs → exactly one; reload → still one,
    and the tracker reports it as deduplicated."""
    conversion_url = collector.url("/v1/beacon/conversion")
    order = {"order_id": "order-9", "email": "buyer@example.com", "items": ITEMS}
    queue = (
        "window.adTracker = window.adTracker || [];\n"
        f"window.adTracker.push(['conversion', {json.dumps(order)}]);"
    )
    url = page_with_head_script(
        site, collector, queue, "<p>Order placed</p>", attrs=conversion_attrs(collector)
    )
    page.goto(url)
    wait_ready(page)
    assert len(collector.wait_for(1, timeout=15.0)) == 1
    page_log.wait_outcome(page, "delivered", url=conversion_url)

    page.reload()
    wait_ready(page)
    dup = page_log.wait_outcome(page, "deduplicated", url=conversion_url, timeout=15.0)
    assert [d["type"] for d in dup] == ["conversion"]
    grace(page)

    events = collector.events()
    assert len(events) == 1, events
    assert events[0].kind == "conversion"
    assert events[0].status == 202
    assert events[0].errors == []
    assert events[0].body_json["order_id"] == "order-9"
    assert events[0].body_json["email_hashed"] == sha256("buyer@example.com")
    assert len(page_log.outcomes("sent", url=conversion_url)) == 1


def test_commands_pushed_before_the_loader_are_replayed_in_order(
    page, page_log, site, collector, wait_ready, grace
):
    """identify, click, impression pushed before tracker.js → each sent once after boot,
    with the identified user, in the order pushed."""
    click = beacon_url(collector, "click", "ad-q1")
    impression = beacon_url(collector, "impression", "ad-q2")
    queue = (
        "window.adTracker = window.adTracker || [];\n"
        "window.adTracker.push(['identify', 'customer-7']);\n"
        f"window.adTracker.push(['click', {json.dumps(click)}]);\n"
        f"window.adTracker.push(['impression', {json.dumps(impression)}]);\n"
        "window.__e2eQueuedBeforeLoader = Array.isArray(window.adTracker)"
        " && !window.adTracker.ready;"
    )
    page.goto(page_with_head_script(site, collector, queue, "<p>home</p>"))
    assert page.evaluate("() => window.__e2eQueuedBeforeLoader") is True
    wait_ready(page)

    got = collector.wait_for(2, timeout=15.0)
    assert len(got) == 2, collector.events()
    page_log.wait_outcome(page, "delivered", count=2)
    grace(page)

    events = collector.events()
    assert len(events) == 2, events
    assert sorted(e.path for e in events) == sorted([path_of(click), path_of(impression)])
    for event in events:
        assert_valid_event_body(event, "customer-7", HOST_SESSION_ID)
    # Replayed in push order: the tracker decided (and dispatched) the click first.
    sent = [(d["type"], d["url"]) for d in page_log.outcomes("sent")]
    assert sent == [("click", click), ("impression", impression)], sent


def test_invalid_order_names_the_field_and_sends_nothing(
    page, page_log, collector, ready_page, grace
):
    """An order without items, and one without order_id → a console.error naming each
    field (and no personal data), a "refused" decision, and no request at all."""
    conversion_url = collector.url("/v1/beacon/conversion")
    ready_page("<p>checkout</p>", attrs=conversion_attrs(collector))

    no_items = {"order_id": "order-11", **RAW_PERSONAL}
    no_order_id = {"items": ITEMS, **RAW_PERSONAL}
    page.evaluate("(order) => window.adTracker.push(['conversion', order])", no_items)
    page.evaluate("(order) => window.adTracker.push(['conversion', order])", no_order_id)

    page_log.wait_outcome(page, "refused", count=2, url=conversion_url)
    grace(page)
    errors = [m.text for m in page_log.console_errors() if m.text.startswith("[adtracker]")]
    assert len([t for t in errors if "items" in t]) == 1, errors
    assert len([t for t in errors if "order_id" in t]) == 1, errors
    assert len(errors) == 2, errors
    assert leaked("\n".join(m.text for m in page_log.console)) == []
    assert collector.events() == []
    assert collector.preflights() == []
    assert [r for r in page_log.requests if r.method == "POST"] == []
    assert [k for k in storage_dump(page) if k.startswith("adtracker:o:")] == []
