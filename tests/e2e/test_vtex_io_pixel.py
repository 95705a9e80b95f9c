"""The VTEX IO pixel app's head.html, rendered with sample settings as VTEX's pixel
builder fills ``{{settings.…}}``, in a real page in Chromium: it boots and tracks.

The settings leave the beacon origins empty, as most stores will: the tracker then
uses its default allow-list (every VTEX Ads event host) and its default conversion URL,
https://events.newtail-media.newtail.com.br/v1/beacon/conversion. Those hosts are
answered by the local collector through ``page.route``, so the test never leaves
127.0.0.1 while the browser really sends to VTEX's URLs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conftest import MOUNT
from e2e_helpers import path_of, wait_collected

from tests.vtex_io_template import head_html

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

    from devserver import Collector

ROOT = Path(__file__).resolve().parents[2]
ORDER = json.loads((ROOT / "tests" / "data" / "vtex-order-placed.json").read_text())
VTEX_HOSTS = ("https://events.newtail-media.newtail.com.br", "https://events-api.ads.vtex.com")
CLICK = "https://events-api.ads.vtex.com/v1/beacon/click/ad-io-1?pos=1&sig=x"


def route_vtex_hosts(page: Page, page_log: Any, collector: Collector) -> list[str]:
    routed: list[str] = []

    def to_collector(route: Route) -> None:
        routed.append(route.request.url)
        route.fulfill(response=route.fetch(url=collector.url(path_of(route.request.url))))

    for host in VTEX_HOSTS:
        page_log.routed_hosts.add(host.removeprefix("https://"))
        page.route(f"{host}/**", to_collector)
    return routed


def store_page(settings: dict[str, Any], body: str) -> str:
    """A store page as VTEX IO serves it: the pixel's head.html inside <head>."""
    return (
        '<!doctype html>\n<html lang="pt-BR"><head><meta charset="utf-8">'
        f"<title>Store</title>\n{head_html(settings)}\n</head>\n<body>\n{body}\n</body></html>\n"
    )


#: The Order Placed page: the order is pushed right after load (before Python is up).
ORDER_PLACED_BODY = f"""<p>Order placed</p>
<a id="ad" href="#sponsored" data-ad-click-url="{CLICK}">Sponsored chair</a>
<script>
window.addEventListener("load", function () {{
  window.postMessage({json.dumps(ORDER)}, window.origin);
}});
</script>"""


def test_rendered_head_html_boots_and_tracks(page, page_log, site, collector, wait_ready, grace):
    """Sample settings (dist URL, publisher id, consent granted, debug; origins empty) →
    the pixel writes the tracker tag with data-vtex-events, the tracker boots without a
    single console error, the Order Placed page's orderPlaced becomes one conversion at
    VTEX's default conversion URL, and a click on an ad whose URL is on the second VTEX
    host is sent too."""
    routed = route_vtex_hosts(page, page_log, collector)
    settings = {
        "distUrl": site.url(MOUNT),
        "publisherId": "pub-io-1",
        "beaconOrigins": "",
        "consentMode": "granted",
        "debug": True,
    }
    page.goto(site.add_page("/checkout/orderPlaced", store_page(settings, ORDER_PLACED_BODY)))
    wait_ready(page)
    tag = page.evaluate(
        """() => { const s = document.querySelector('script[src$="tracker.js"]');
                   return Object.fromEntries([...s.attributes].map(a => [a.name, a.value])); }"""
    )
    assert tag == {
        "async": "",
        "src": site.url(MOUNT) + "tracker.js",
        "data-vtex-events": "",
        "data-publisher-id": "pub-io-1",
        "data-consent": "granted",
        "data-debug": "",
    }, tag

    assert len(wait_collected(page, collector, 1)) == 1
    page.click("#ad")
    assert len(wait_collected(page, collector, 2)) == 2
    page_log.wait_outcome(page, "delivered", count=2)
    grace(page)
    events = collector.events()
    assert [e.kind for e in events] == ["conversion", "click"], events
    conversion, click = events
    assert conversion.status == 202 and conversion.errors == [], conversion.errors
    assert conversion.body_json["publisher_id"] == "pub-io-1"
    assert conversion.body_json["order_id"] == "1310750551387-01"
    assert click.status == 202 and click.errors == []
    assert routed == [
        "https://events.newtail-media.newtail.com.br/v1/beacon/conversion",
        CLICK,
    ]
    errors = [m.text for m in page_log.console_errors()]
    assert errors == [], errors


def test_pending_consent_setting_waits_for_the_consent_platform(
    page, page_log, site, collector, wait_ready, grace
):
    """consentMode "pending": the order waits (in memory) and nothing is stored or sent
    until the store's consent platform grants consent; then exactly one conversion."""
    route_vtex_hosts(page, page_log, collector)
    settings = {"distUrl": site.url(MOUNT), "publisherId": "pub-io-2", "consentMode": "pending"}
    page.goto(site.add_page("/checkout/orderPlaced", store_page(settings, ORDER_PLACED_BODY)))
    wait_ready(page)
    page_log.wait_outcome(page, "queued")
    grace(page)
    assert collector.events() == []
    assert page.evaluate("() => Object.keys(localStorage)") == []

    page.evaluate("() => window.adTracker.push(['consent', 'granted'])")
    assert len(wait_collected(page, collector, 1)) == 1
    grace(page)
    events = collector.events()
    assert len(events) == 1 and events[0].kind == "conversion", events
    assert events[0].errors == [] and events[0].body_json["publisher_id"] == "pub-io-2"


def test_missing_dist_url_is_one_clear_error(page, page_log, site, collector, grace):
    """A store that saved no Tracker URL: one console error saying what to set, no
    tracker, the page works."""
    page.goto(site.add_page("/", store_page({"publisherId": "pub"}, "<p id=home>home</p>")))
    page.wait_for_selector("#home")
    grace(page)
    errors = [m.text for m in page_log.console_errors()]
    errors = [t for t in errors if not t.startswith("Failed to load resource")]  # favicon.ico
    assert len(errors) == 1 and "Tracker URL" in errors[0], errors
    assert page.evaluate("() => document.querySelector('script[src$=\"tracker.js\"]')") is None
    assert collector.events() == []
