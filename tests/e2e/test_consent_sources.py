"""Consent from the store's consent platform (data-consent-from), end to end in Chromium:
Google Consent Mode v2 through ``dataLayer``/``gtag``, and the IAB TCF v2.2 API through a
stub shaped like the IAB's (``tcf_stub.js``: the ``__tcfapi`` queue and the
``__tcfapiLocator`` frame, then a CMP that loads and answers listeners).

Every case counts exactly at the collector. "Nothing stored" means no ``adtracker:`` key in
localStorage; "nothing sent" is proved by a grace period after the tracker's own decision.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from e2e_helpers import (
    COPY_WITHIN_SECONDS,
    SLOW_HERO,
    click_url,
    delivered,
    goto_still_loading,
    hold_requests,
    navigating_preboot_copies,
    path_of,
    release,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from devserver import Collector, StaticServer

TCF_STUB = (Path(__file__).resolve().parent / "tcf_stub.js").read_text(encoding="utf-8")
TCF_STUB_PATH = "/e2e/tcf_stub.js"
GCM = {"data-consent-from": "gcm"}
TCF = {"data-consent-from": "tcf"}

#: gtag as a store's consent banner installs it, and its commands.
GTAG = (
    "<script>window.dataLayer = window.dataLayer || [];"
    "function gtag(){dataLayer.push(arguments);}\n%s</script>\n"
)
DEFAULT_DENIED = "gtag('consent', 'default', {ad_storage: 'denied', wait_for_update: 500});"
DEFAULT_GRANTED = "gtag('consent', 'default', {ad_storage: 'granted'});"
UPDATE_GRANTED = "gtag('consent', 'update', {ad_storage: 'granted'});"
UPDATE_DENIED = "gtag('consent', 'update', {ad_storage: 'denied'});"
BOTH = "{gdprApplies: true, eventStatus: 'tcloaded', consents: {1: true, 7: true}}"


def gtag(*commands: str) -> str:
    return GTAG % "\n".join(commands)


def tcf_head(site: StaticServer, then: str = "") -> str:
    """The IAB-like stub (a file, as CMPs serve it), then an inline script, if any."""
    site.add_page(TCF_STUB_PATH, TCF_STUB, {"Content-Type": "text/javascript"})
    return f'<script src="{TCF_STUB_PATH}"></script>\n' + (
        f"<script>{then}</script>\n" if then else ""
    )


def our_keys(page: Page) -> list[str]:
    return page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('adtracker:'))"
    )


def lines(page_log: Any, needle: str) -> list[str]:
    return [m.text for m in page_log.console if needle in m.text]


def wait_line(page: Page, page_log: Any, needle: str, timeout_ms: int = 10_000) -> list[str]:
    """Wait (bounded) for a console line containing ``needle``; return those seen."""
    waited = 0
    while not lines(page_log, needle) and waited < timeout_ms:
        page.wait_for_timeout(50)
        waited += 50
    assert lines(page_log, needle), [m.text for m in page_log.console]
    return lines(page_log, needle)


def open_shop(
    page: Page, make_page: Any, site: Any, collector: Collector, body: str, **kw: Any
) -> None:
    page.goto(make_page(site, collector, body, **kw))


# --------------------------------------------------------------------------- Consent Mode


def test_gcm_granted_before_the_tracker_loaded(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """default denied, then the banner's update granted, both pushed before the tracker
    loaded: the tracker starts granted; the click is delivered and ids are stored."""
    url = click_url(collector, "gcm-granted")
    head = gtag(DEFAULT_DENIED, UPDATE_GRANTED)
    open_shop(page, make_page, site, collector, ad_html(url, id="ad"), attrs=GCM, head_html=head)
    wait_ready(page)

    page.click("#ad")

    assert len(delivered(page, page_log, collector, url)) == 1
    assert "adtracker:ids" in our_keys(page)
    assert lines(page_log, "consent granted from the consent platform (Consent Mode's ad_storage)")


def test_gcm_pending_until_a_late_update_then_the_waiting_click_goes(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """Only a default denied (the shopper has not chosen): pending, so a click waits in
    memory, nothing is stored or sent. The banner's update granted comes later: the
    click goes out, once."""
    url = click_url(collector, "gcm-late")
    body = ad_html(url, id="ad")
    open_shop(page, make_page, site, collector, body, attrs=GCM, head_html=gtag(DEFAULT_DENIED))
    wait_ready(page)

    page.click("#ad")
    page_log.wait_outcome(page, "queued", url=url)
    grace(page)
    assert collector.events() == [] and our_keys(page) == []

    page.evaluate(f"() => {{ {UPDATE_GRANTED} }}")

    assert len(delivered(page, page_log, collector, url)) == 1


def test_gcm_update_to_denied_clears_everything_and_nothing_is_sent_after(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """Granted, a click delivered; the shopper then withdraws (update denied): every
    adtracker: key is cleared at once and a later click is refused, never sent."""
    first, second = click_url(collector, "gcm-before"), click_url(collector, "gcm-after")
    body = ad_html(first, id="first") + ad_html(second, id="second")
    open_shop(page, make_page, site, collector, body, attrs=GCM, head_html=gtag(DEFAULT_GRANTED))
    wait_ready(page)
    page.click("#first")
    delivered(page, page_log, collector, first)
    assert our_keys(page) != []

    page.evaluate(f"() => {{ {UPDATE_DENIED} }}")
    wait_line(page, page_log, "consent denied from the consent platform")
    assert our_keys(page) == []
    page.click("#second")

    page_log.wait_outcome(page, "refused", url=second)
    grace(page)
    assert [e.path for e in collector.events()] == [path_of(first)]
    assert our_keys(page) == []


#: Two scripts that wrap dataLayer.push as GTM does (keep the push found, call it, then
#: do their own work): one before the tracker, one after it started.
WRAPPER = """(function (name) {
  var layer = window.dataLayer = window.dataLayer || [];
  var found = layer.push;
  window[name] = [];
  layer.push = function () {
    var result = found.apply(layer, arguments);
    for (var i = 0; i < arguments.length; i++) window[name].push(arguments[i]);
    return result;
  };
})"""


def test_gcm_other_scripts_that_wrap_data_layer_push_keep_working(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """GTM-like wrappers of dataLayer.push installed before and after the tracker both see
    every push and return what Array's push returns; the tracker still sees the update."""
    url = click_url(collector, "gcm-wrapped")
    head = gtag(DEFAULT_DENIED) + f"<script>{WRAPPER}('__before');</script>\n"
    open_shop(page, make_page, site, collector, ad_html(url, id="ad"), attrs=GCM, head_html=head)
    wait_ready(page)
    page.evaluate(f"() => {WRAPPER}('__after')")
    page.click("#ad")
    page_log.wait_outcome(page, "queued", url=url)

    result = page.evaluate(
        f"""() => {{
          const before = dataLayer.length;
          const returned = dataLayer.push({{event: 'page_view'}});
          {UPDATE_GRANTED}
          return {{
            returnedTheNewLength: returned === before + 1,
            grew: dataLayer.length - before,
            before: window.__before.length,
            after: window.__after.length,
            last: Object.prototype.toString.call(window.__after[1]),
          }};
        }}"""
    )

    assert result == {
        "returnedTheNewLength": True,
        "grew": 2,
        "before": 2,
        "after": 2,
        "last": "[object Arguments]",
    }, result
    assert len(delivered(page, page_log, collector, url)) == 1


def test_gcm_a_replaced_data_layer_is_read_again_on_a_route_change(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """A page that replaces window.dataLayer after the tracker started (its gtag() now
    pushes to the new array): the next route change finds the new array and its update."""
    url = click_url(collector, "gcm-replaced")
    body = ad_html(url, id="ad")
    open_shop(page, make_page, site, collector, body, attrs=GCM, head_html=gtag(DEFAULT_DENIED))
    wait_ready(page)
    page.click("#ad")
    page_log.wait_outcome(page, "queued", url=url)

    page.evaluate(f"() => {{ window.dataLayer = []; {UPDATE_GRANTED} }}")
    page.evaluate("() => history.pushState(null, '', '/shop/next-route.html')")

    assert len(delivered(page, page_log, collector, url)) == 1


def test_gcm_preboot_clicks_follow_the_same_rule(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """Before Python runs the loader reads dataLayer too. Pending (default denied): a
    pre-boot click is kept in memory only, never stored, and sent once the update grants.
    Granted: a pre-boot click on a link that leaves is stored, and the next page sends it."""
    waiting = click_url(collector, "gcm-preboot-pending")
    held = hold_requests(page, SLOW_HERO)
    body = f'<img src="{SLOW_HERO}" alt="">' + ad_html(waiting, id="ad", tag="div")
    page_url = make_page(site, collector, body, attrs=GCM, head_html=gtag(DEFAULT_DENIED))
    goto_still_loading(page, page_url)
    page.click("#ad")
    assert page.evaluate("() => localStorage.getItem('adtracker:preboot')") is None
    release(page, held, SLOW_HERO)
    wait_ready(page)
    page_log.wait_outcome(page, "queued", url=waiting)
    assert collector.events() == [] and our_keys(page) == []
    page.evaluate(f"() => {{ {UPDATE_GRANTED} }}")
    assert len(delivered(page, page_log, collector, waiting)) == 1

    leaving = click_url(collector, "gcm-preboot-granted")
    held = hold_requests(page, SLOW_HERO)
    second = make_page(site, collector, "<p>next</p>", attrs=GCM, head_html=gtag(UPDATE_GRANTED))
    link = ad_html(leaving, id="leave", href=path_of(second))
    body = f'<img src="{SLOW_HERO}" alt="">' + link
    goto_still_loading(
        page, make_page(site, collector, body, attrs=GCM, head_html=gtag(UPDATE_GRANTED))
    )
    page.click("#leave")
    page.wait_for_url(second)
    release(page, held, SLOW_HERO)
    wait_ready(page)

    copies = navigating_preboot_copies(page, page_log, leaving)  # the loader may send it
    assert len(collector.wait_for(1 + copies, timeout=COPY_WITHIN_SECONDS)) == 1 + copies
    grace(page)
    assert sorted(e.path for e in collector.events()) == sorted(
        [path_of(waiting)] + [path_of(leaving)] * copies
    )


# --------------------------------------------------------------------------- TCF


def test_tcf_granted_by_a_stored_choice(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """The CMP loaded before the tracker with the shopper's stored consent for purposes
    1 and 7 (eventStatus tcloaded): granted; the click is delivered."""
    url = click_url(collector, "tcf-stored")
    head = tcf_head(site, f"window.__e2eCmp.load({BOTH});")
    open_shop(page, make_page, site, collector, ad_html(url, id="ad"), attrs=TCF, head_html=head)
    wait_ready(page)

    page.click("#ad")

    assert len(delivered(page, page_log, collector, url)) == 1
    assert lines(page_log, "consent granted from the consent platform (TCF: consent for purposes")


def test_tcf_late_answer_then_withdrawn(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """Only the stub when the tracker starts (its addEventListener waits in the stub's
    queue): pending, a click waits, nothing stored or sent. The CMP loads and shows its
    banner (cmpuishown): still pending. The shopper consents to 1 and 7: the click goes.
    The shopper then withdraws purpose 7: storage is cleared and nothing is sent after."""
    first, second = click_url(collector, "tcf-late"), click_url(collector, "tcf-after")
    body = ad_html(first, id="first") + ad_html(second, id="second")
    open_shop(page, make_page, site, collector, body, attrs=TCF, head_html=tcf_head(site))
    wait_ready(page)
    assert page.evaluate("() => window.__tcfapi().length") >= 1  # our call, queued
    page.click("#first")
    page_log.wait_outcome(page, "queued", url=first)
    page.evaluate("() => window.__e2eCmp.load({gdprApplies: true, eventStatus: 'cmpuishown'})")
    wait_line(page, page_log, "the CMP shows its banner")
    grace(page)
    assert collector.events() == [] and our_keys(page) == []

    page.evaluate("() => window.__e2eCmp.choose({gdprApplies: true, consents: {1: true, 7: true}})")
    delivered(page, page_log, collector, first)
    page.evaluate(
        "() => window.__e2eCmp.choose({gdprApplies: true, consents: {1: true, 7: false}})"
    )
    wait_line(
        page, page_log, "consent denied from the consent platform (TCF: no consent for purpose 7"
    )
    assert our_keys(page) == []
    page.click("#second")

    page_log.wait_outcome(page, "refused", url=second)
    grace(page)
    assert [e.path for e in collector.events()] == [path_of(first)]


def test_tcf_gdpr_does_not_apply(page, page_log, site, collector, make_page, ad_html, wait_ready):
    """gdprApplies false (a shopper outside the GDPR's reach): granted, whatever the
    purposes say."""
    url = click_url(collector, "tcf-no-gdpr")
    head = tcf_head(site, "window.__e2eCmp.load({gdprApplies: false, eventStatus: 'tcloaded'});")
    open_shop(page, make_page, site, collector, ad_html(url, id="ad"), attrs=TCF, head_html=head)
    wait_ready(page)

    page.click("#ad")

    assert len(delivered(page, page_log, collector, url)) == 1


THROWING_CMP = (
    "<script>window.__tcfapi = function () { throw new Error('CMP exploded'); };</script>\n"
)


def test_tcf_a_cmp_that_throws_or_is_missing_leaves_it_pending_with_one_line(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """A CMP whose __tcfapi throws, and a page with no CMP at all: no page error, one
    clear debug line each, the tracker pending (the click waits; nothing sent, nothing
    stored)."""
    for n, (head, said) in enumerate(
        [(THROWING_CMP, "threw Error: CMP exploded"), ("", "window.__tcfapi is not a function")]
    ):
        url = click_url(collector, f"tcf-broken-{n}")
        open_shop(
            page, make_page, site, collector, ad_html(url, id="ad"), attrs=TCF, head_html=head
        )
        wait_ready(page)
        page.click("#ad")
        page_log.wait_outcome(page, "queued", url=url)
        grace(page)
        assert len(lines(page_log, said)) == 1, [m.text for m in page_log.console]
        assert collector.events() == [] and our_keys(page) == []
