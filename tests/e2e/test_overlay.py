"""The QA overlay (``data-debug="overlay"``, ``?adtracker-debug=overlay``), end to end.

The test reads what the overlay drew: its host element's open shadow root, one label per
ad element (``data-ad`` is the element's id) with one line per event kind
(``data-kind``, ``data-outcome``, its text). A MutationObserver installed in the page
records every line the overlay ever showed, so a state that lasts one refresh (a view
timer) is seen without racing it. Counts at the collector prove the overlay changes no
event: one click, one impression, one view each.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from e2e_helpers import AD_CARD, ad_html, make_page, path_of, wait_ready
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from devserver import Collector, StaticServer
    from tests.e2e.conftest import PageLog

HOST = "[data-adtracker-overlay]"
BOX = "display:block;width:300px;height:100px;margin:24px;background:#eee"
SPACER = '<div style="height:1400px">spacer</div>'
#: VTEX's 422 answer (Ajv's format) for a body missing user_id, and nothing else (the
#: unit tests' AJV_422 adds anyOf's own entry, which the message would then name too).
AJV_422 = json.dumps(
    [
        {
            "instancePath": "",
            "schemaPath": "#/required",
            "keyword": "required",
            "params": {"missingProperty": "user_id"},
            "message": "must have required property 'user_id'",
        }
    ]
)
#: What the overlay shows now: ad id → [lines], and "(summary)" → [lines]; installed as
#: window.__overlayDrawn().
DRAWN = """(host) => {
  const out = {};
  const root = document.querySelector(host).shadowRoot;
  for (const line of root.querySelectorAll(".line")) {
    const label = line.closest(".label");
    const ad = label ? label.dataset.ad : "(summary)";
    (out[ad] = out[ad] || []).push({kind: line.dataset.kind || "",
      outcome: line.dataset.outcome || "", text: line.textContent,
      hidden: label ? label.hidden : false});
  }
  return out;
}"""

#: Installed once the overlay is up: every line it ever drew, as {ad, kind, outcome,
#: text}, kept in window.__overlaySeen.
RECORD = """(host) => {
  const seen = window.__overlaySeen = [];
  const collect = () => {
    for (const [ad, lines] of Object.entries(window.__overlayDrawn(host))) {
      for (const line of lines) seen.push({ad, ...line});
    }
  };
  new MutationObserver(collect).observe(document.querySelector(host).shadowRoot,
                                        {subtree: true, childList: true});
  collect();
}"""


def beacon(collector: Collector, kind: str, ad_id: str) -> str:
    return collector.url(f"/v1/beacon/{kind}/{ad_id}?pos=1")


def overlay_up(page: Page) -> None:
    """Wait (bounded) for the overlay's layer, then install the readers above."""
    page.wait_for_selector(HOST, state="attached")
    page.evaluate(f"() => {{ window.__overlayDrawn = {DRAWN}; }}")
    page.evaluate(RECORD, HOST)


def drawn(page: Page) -> dict[str, list[dict[str, Any]]]:
    return page.evaluate("(host) => window.__overlayDrawn(host)", HOST)


def wait_drawn(page: Page, ad: str, test: str, arg: object, what: str) -> None:
    """Wait (bounded) until a line of ``ad``'s label passes ``test`` (a JS predicate of
    the line and ``arg``); fail with what the overlay shows instead."""
    try:
        page.wait_for_function(
            f"""([host, ad, arg]) => (window.__overlayDrawn(host)[ad] || [])
                .some((line) => ({test})(line, arg))""",
            arg=[HOST, ad, arg],
            timeout=15000,
        )
    except PlaywrightTimeoutError:
        raise AssertionError(f"no {what} for {ad}; drawn: {drawn(page)}") from None


def wait_line(page: Page, ad: str, kind: str, outcome: str) -> str:
    """Wait (bounded) until the label of ``ad`` shows ``outcome`` for ``kind``; its text."""
    test = "(line, [kind, outcome]) => line.kind === kind && line.outcome === outcome"
    wait_drawn(page, ad, test, [kind, outcome], f"{kind} {outcome}")
    lines = [x for x in drawn(page)[ad] if x["kind"] == kind]
    assert len(lines) == 1, lines
    return lines[0]["text"]


def wait_summary(page: Page, text: str) -> None:
    wait_drawn(page, "(summary)", "(line, text) => line.text === text", text, repr(text))


def ever_shown(page: Page, ad: str, kind: str) -> list[str]:
    seen = page.evaluate("() => window.__overlaySeen || []")
    return [s["text"] for s in seen if s["ad"] == ad and s["kind"] == kind]


def received(collector: Collector, url: str) -> int:
    return len([e for e in collector.events() if e.path == path_of(url)])


def test_the_overlay_draws_each_kind_a_dedup_a_422_and_a_shadow_ad_and_is_off_by_default(
    page: Page, site: StaticServer, collector: Collector, page_log: PageLog
) -> None:
    click = beacon(collector, "click", "prod-1")
    impression = beacon(collector, "impression", "prod-1")
    view = beacon(collector, "view", "banner-1")
    bad_click = beacon(collector, "click", "bad-1")
    shadow = beacon(collector, "impression", "card-1")
    collector.add_fault("/click/bad-1", 422, body=AJV_422)
    product = ad_html(
        click, "Sponsored product", tag="div", href=None, id="ad-product",
        style=BOX, **{"data-ad-impression-url": impression},
    )  # fmt: skip
    broken = ad_html(bad_click, "Sponsored (answers 422)", tag="div", href=None, id="ad-bad",
                     style=BOX)  # fmt: skip
    banner = f'<div id="ad-banner" data-ad-view-url="{view}" style="{BOX}">Banner</div>'
    body = (
        f'{AD_CARD}{product}{broken}<ad-card impression="{shadow}"></ad-card>'
        f"{SPACER}{banner}{SPACER}"
    )

    # Off (no data-debug): no module, no layer.
    off = beacon(collector, "impression", "off-1")
    plain = f'<div id="ad-off" data-ad-impression-url="{off}" style="{BOX}">Ad</div>'
    page.goto(make_page(site, collector, plain))
    wait_ready(page)
    assert page.locator(HOST).count() == 0
    assert page_log.wait_outcome(page, "delivered", url=off)  # it ran, and drew nothing
    assert page.locator(HOST).count() == 0
    assert not [r for r in page_log.requests if r.url.endswith("/overlay.mjs")]

    page.goto(make_page(site, collector, body, attrs={"data-debug": "overlay"}))
    wait_ready(page)
    overlay_up(page)
    assert [r for r in page_log.requests if r.url.endswith("/overlay.mjs")]

    # The layer takes no part in the page: fixed, no pointer events, its own shadow root.
    style = page.evaluate(
        """(host) => { const s = getComputedStyle(document.querySelector(host));
            return [s.position, s.pointerEvents]; }""",
        HOST,
    )
    assert style == ["fixed", "none"]

    assert wait_line(page, "ad-product", "impression", "delivered") == (
        "impression delivered: HTTP 202"
    )
    assert wait_line(page, "ad", "impression", "delivered").startswith("impression")
    assert [x["text"] for x in drawn(page)["ad-product"] if x["kind"] == "click"] == [
        "click: not clicked yet"
    ]

    page.click("#ad-product")
    assert wait_line(page, "ad-product", "click", "delivered") == "click delivered: HTTP 202"
    page.click("#ad-product")
    text = wait_line(page, "ad-product", "click", "deduplicated")
    assert text.startswith("click deduplicated: until ") and text.endswith(" left"), text
    (dedup,) = page_log.outcomes("deduplicated", click)  # the page's event says it too
    left_s = dedup["until"] / 1000 - page.evaluate("Date.now()") / 1000
    assert 3500 < left_s <= 3600, dedup  # a click's window: one hour

    page.click("#ad-bad")
    text = wait_line(page, "ad-bad", "click", "rejected")
    assert text == "click rejected: HTTP 422: missing property 'user_id' in the body", text

    # The view: its timer while it runs, then the view.
    below_the_fold = ever_shown(page, "ad-banner", "view")
    assert below_the_fold and all(t.startswith("view: waits for 50%") for t in below_the_fold)
    page.evaluate("document.getElementById('ad-banner').scrollIntoView({block: 'center'})")
    assert wait_line(page, "ad-banner", "view", "delivered") == "view delivered: HTTP 202"
    shown = ever_shown(page, "ad-banner", "view")
    assert any(t.startswith("view timer: ") for t in shown), shown
    assert shown[0].startswith("view: waits for 50%"), shown

    summary = [x["text"] for x in drawn(page)["(summary)"]]
    assert summary == ["adtracker: 4 ad elements tracked"], summary

    screenshots = os.environ.get("ADTRACKER_SCREENSHOTS")
    if screenshots:  # the docs' picture (docs/assets/overlay.png), from this very run
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(300)
        page.screenshot(path=str(Path(screenshots) / "overlay.png"))

    for url, n in ((click, 1), (impression, 1), (view, 1), (bad_click, 1), (shadow, 1)):
        assert received(collector, url) == n, url
    ours = [m.text for m in page_log.console_errors() if "[adtracker]" in m.text]
    assert len(ours) == 1 and "rejected a click (HTTP 422" in ours[0], ours  # said once


def test_the_overlay_from_the_query_shows_consent_the_outbox_and_follows_a_route_change(
    page: Page, site: StaticServer, collector: Collector
) -> None:
    first = beacon(collector, "impression", "route-1")
    second = beacon(collector, "impression", "route-2")
    collector.add_fault("/impression/route-2", 503, times=100)
    ad = f'<div id="ad-first" data-ad-impression-url="{first}" style="{BOX}">Ad</div>'
    url = make_page(site, collector, ad, attrs={"data-consent": "pending"})
    page.goto(url + "?adtracker-debug=overlay")
    wait_ready(page)
    overlay_up(page)

    assert wait_line(page, "ad-first", "impression", "queued") == (
        "impression queued: waiting for consent"
    )
    wait_summary(page, "consent pending: 1 event held, none sent")
    page.evaluate("adTracker.push(['consent', 'granted'])")
    assert wait_line(page, "ad-first", "impression", "delivered")

    # An SPA route change: the old ad goes, a new one comes; its impression fails (503)
    # and waits in the outbox, which the corner counts.
    page.evaluate(
        """(url) => {
            history.pushState({}, "", "/shop/route-2");
            document.getElementById("ad-first").remove();
            const ad = document.createElement("div");
            ad.id = "ad-second";
            ad.setAttribute("style", "display:block;width:300px;height:100px");
            ad.setAttribute("data-ad-impression-url", url);
            document.body.append(ad);
        }""",
        second,
    )
    text = wait_line(page, "ad-second", "impression", "failed")
    assert text.startswith("impression failed: HTTP 503; retry 1 in "), text
    assert "ad-first" not in drawn(page)
    wait_summary(page, "outbox: 1 event waiting or in flight")
