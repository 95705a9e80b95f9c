"""What the shopper sees before Python is ready: impressions and views are not lost.

The loader records raw observations of each ad in the viewport (web/src/observe.js);
Python applies the rules to them (adtracker/events/preboot_ads.py) on this page once it
is ready, or on the store's next page. Python's start is held deterministically: the
runtime's ``boot.mjs`` (which the loader imports after the page's load event) is left
unanswered until the test lets it through, so "before ready" is a fact, not a race.
"""

from __future__ import annotations

import html
import json
from typing import Any

from e2e_helpers import hold_requests, path_of, wait_ready
from playwright.sync_api import Page, Route

BOX = "display:block;width:300px;height:100px;background:#eee"
SPACER = '<div style="height:2400px">spacer</div>'
BOOT = "/boot.mjs"
#: How long the shopper looks at the page before leaving it (issue 26: 1.5 s).
LOOK_MS = 1_500


def beacon(collector: Any, kind: str, ad_id: str) -> str:
    return collector.url(f"/v1/beacon/{kind}/{ad_id}?pos=1")


def ad_div(ad_id: str, **urls: str) -> str:
    attrs = " ".join(
        f'data-ad-{kind}-url="{html.escape(url, quote=True)}"' for kind, url in urls.items()
    )
    return f'<div id="{ad_id}" style="{BOX}" {attrs}>Ad</div>'


def hold_boot(page: Page) -> list[Route]:
    return hold_requests(page, BOOT)


def wait_held(page: Page, held: list[Route]) -> None:
    """Until the loader asked for boot.mjs: the page's load event has passed."""
    for _ in range(200):
        if held:
            return
        page.wait_for_timeout(50)
    raise AssertionError("the loader never imported boot.mjs")


def stored_ads(page: Page) -> list[dict[str, Any]]:
    text = page.evaluate("() => localStorage.getItem('adtracker:preboot')")
    return [x for x in json.loads(text or "[]") if "g" in x]


def wait_recorded(page: Page, n: int) -> list[dict[str, Any]]:
    """Until the loader stored ``n`` ads, each painted in the viewport (bounded)."""
    for _ in range(200):
        ads = stored_ads(page)
        if len(ads) >= n and all(ad["p"] is not None or ad["i"] is None for ad in ads):
            return ads
        page.wait_for_timeout(50)
    raise AssertionError(f"the loader stored {stored_ads(page)}")


def tracker_storage(page: Page) -> list[str]:
    """The ``adtracker:`` localStorage keys of the page's origin."""
    return page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('adtracker:'))"
    )


def counts(collector: Any, *urls: str) -> list[int]:
    paths = [e.path for e in collector.events()]
    return [paths.count(path_of(url)) for url in urls]


def test_a_page_left_before_ready_still_yields_its_impressions_and_view(
    page, page_log, site, collector, make_page, grace
):
    """A first visit on a slow start: an impression ad and a banner (impression + view)
    in view for 1.5 s, then an organic link to another page of the store. That page's
    Python sends the three events, each once; an ad below the fold gives none."""
    imp = beacon(collector, "impression", "pre-imp")
    b_imp, b_view = (
        beacon(collector, "impression", "pre-banner"),
        beacon(collector, "view", "pre-banner"),
    )
    low_imp = beacon(collector, "impression", "pre-below")
    landing = make_page(site, collector, "<p>another page of the store</p>")
    body = (
        ad_div("imp", impression=imp)
        + ad_div("banner", impression=b_imp, view=b_view)
        + f'<a id="organic" href="{path_of(landing)}">next</a>'
        + SPACER
        + ad_div("below", impression=low_imp)
    )
    held = hold_boot(page)
    page.goto(make_page(site, collector, body))
    wait_held(page, held)
    ads = wait_recorded(page, 2)
    assert sorted(ad["i"] for ad in ads) == sorted([imp, b_imp]), ads  # not the one below
    page.wait_for_timeout(LOOK_MS)  # the shopper looks, then leaves before ready
    assert collector.events() == []

    page.unroute(f"**{BOOT}")
    page.click("#organic")
    page.wait_for_url(landing)
    wait_ready(page)

    assert len(collector.wait_for(3, timeout=15.0)) == 3
    grace(page, 1_500)
    assert counts(collector, imp, b_imp, b_view, low_imp) == [1, 1, 1, 0]
    assert len(collector.accepted()) == 3
    assert "adtracker:preboot" not in tracker_storage(page)


def test_ads_seen_before_ready_on_a_page_that_stays_count_once(
    page, page_log, site, collector, make_page, grace
):
    """The page stays: once Python is ready it sends what the loader saw (the banner in
    view for more than a second: its view too), and its own watcher does not send them
    again."""
    b_imp, b_view = (
        beacon(collector, "impression", "stay-banner"),
        beacon(collector, "view", "stay-banner"),
    )
    held = hold_boot(page)
    page.goto(make_page(site, collector, ad_div("banner", impression=b_imp, view=b_view)))
    wait_held(page, held)
    wait_recorded(page, 1)
    page.wait_for_timeout(LOOK_MS)

    for route in held:
        route.continue_()
    page.unroute(f"**{BOOT}")
    wait_ready(page)

    assert len(collector.wait_for(2, timeout=15.0)) == 2
    grace(page, 2_000)  # the watcher has seen the banner meanwhile (a view needs 1 s)
    assert counts(collector, b_imp, b_view) == [1, 1]
    assert stored_ads(page) == []


def test_consent_pending_stores_no_observation(page, page_log, site, collector, make_page, grace):
    """data-consent="pending": the loader keeps what it sees in memory only, so a page left
    before ready leaves nothing in storage and sends nothing later."""
    imp = beacon(collector, "impression", "pending-imp")
    landing = make_page(site, collector, "<p>next</p>")
    body = ad_div("imp", impression=imp) + f'<a id="organic" href="{path_of(landing)}">next</a>'
    held = hold_boot(page)
    page.goto(make_page(site, collector, body, attrs={"data-consent": "pending"}))
    wait_held(page, held)
    page.wait_for_timeout(LOOK_MS)
    assert "adtracker:preboot" not in tracker_storage(page)

    page.unroute(f"**{BOOT}")
    page.click("#organic")
    page.wait_for_url(landing)
    wait_ready(page)
    grace(page, 1_500)
    assert collector.events() == []
    assert "adtracker:preboot" not in tracker_storage(page)
