"""Ids read from where the store keeps them (data-user-id-from, data-session-id-from),
end to end in Chromium: a server-set cookie, localStorage, sessionStorage and the vtex
preset; an id that changes after login; an empty place; hostile values.

Every test counts exactly at the collector, which validates each body against VTEX's
schema. The page's own script (before the tracker's tag) sets the storage values, as a
storefront's session code would.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from e2e_helpers import (
    SLOW_HERO,
    click_url,
    delivered,
    goto_still_loading,
    hold_requests,
    path_of,
    release,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from devserver import Collector

#: No host ids on the tag: the places (or the tracker's own ids) supply them.
NO_HOST_IDS: dict[str, str | None] = {"data-user-id": None, "data-session-id": None}


def script(js: str) -> str:
    return f"<script>{js}</script>\n"


def own_ids(page: Page) -> dict[str, str]:
    """The tracker's generated ids (adtracker:ids)."""
    return json.loads(page.evaluate("() => localStorage.getItem('adtracker:ids')"))


def debug_lines(page_log: Any, needle: str) -> list[str]:
    return [m.text for m in page_log.console if needle in m.text]


def bodies(collector: Collector) -> list[dict[str, Any]]:
    return [e.body_json for e in collector.events()]


def test_session_id_from_a_server_set_cookie(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """The store's server sets the session cookie (Set-Cookie on the page): every beacon
    carries it as session_id; the user id is the tracker's anonymous one."""
    url = click_url(collector, "ad-cookie")
    attrs = {**NO_HOST_IDS, "data-session-id-from": "cookie:shop_sid"}
    headers = {"Set-Cookie": "shop_sid=server-session-1; Path=/; SameSite=Lax"}
    page.goto(make_page(site, collector, ad_html(url, id="ad"), attrs=attrs, headers=headers))
    wait_ready(page)

    page.click("#ad")

    events = delivered(page, page_log, collector, url)
    assert len(events) == 1, events
    assert events[0].status == 202 and events[0].errors == []
    assert events[0].body_json == {
        "user_id": own_ids(page)["anon_user_id"],
        "session_id": "server-session-1",
    }
    assert debug_lines(page_log, "session_id read from cookie:shop_sid: server-session-1")


def test_ids_from_local_and_session_storage_and_a_login_meanwhile(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """user_id from localStorage, session_id from sessionStorage. The shopper logs in
    after the tracker started (the page writes a new user id): the next click, and the
    page view after a route change, use it at once; a click on the same ad by the new
    user is a new event (the dedup key has the user)."""
    url = click_url(collector, "ad-storage")
    head = script(
        "localStorage.setItem('shop.user', 'guest-7');"
        "sessionStorage.setItem('shop.session', 'tab-session-1');"
    )
    attrs = {
        **NO_HOST_IDS,
        "data-user-id-from": "localStorage:shop.user",
        "data-session-id-from": "sessionStorage:shop.session",
    }
    page.goto(make_page(site, collector, ad_html(url, id="ad"), attrs=attrs, head_html=head))
    wait_ready(page)

    page.click("#ad")
    assert len(collector.wait_for(1, timeout=10.0)) == 1
    page.evaluate("() => localStorage.setItem('shop.user', 'customer-42')")  # login
    page.click("#ad")
    assert len(collector.wait_for(2, timeout=10.0)) == 2
    page.evaluate("() => sessionStorage.setItem('shop.session', 'tab-session-2')")
    page.evaluate("() => history.pushState(null, '', '/shop/after-login.html')")
    # The route change alone reads the places again (debug mode says what it read).
    wait_line(page, page_log, "session_id read from sessionStorage:shop.session: tab-session-2")
    page.click("#ad")

    assert len(collector.wait_for(3, timeout=10.0)) == 3
    page_log.wait_outcome(page, "delivered", count=3)
    grace(page)
    assert [e.path for e in collector.events()] == [path_of(url)] * 3
    assert bodies(collector) == [
        {"user_id": "guest-7", "session_id": "tab-session-1"},
        {"user_id": "customer-42", "session_id": "tab-session-1"},
        {"user_id": "customer-42", "session_id": "tab-session-2"},
    ]


#: Write a cookie as a store's login script does; where the browser has the Cookie Store
#: API, resolve once its change event was dispatched (the tracker's listener, registered
#: at its first read, runs before this one: the tracker has noticed by then).
WRITE_COOKIE = """(cookie) => new Promise((resolve) => {
  if (!window.cookieStore) { document.cookie = cookie; resolve("no Cookie Store API"); return; }
  cookieStore.addEventListener("change", () => resolve("change event"), { once: true });
  document.cookie = cookie;
})"""


def test_a_cookie_written_after_start_is_read_for_the_next_event(
    page, page_log, site, collector, make_page, ad_html, wait_ready, grace
):
    """The store's script sets the session cookie after the tracker started (a login):
    the next click carries the new value. (A cookie read is reused only while the
    browser's Cookie Store API announces no change.)"""
    first, second = click_url(collector, "ad-c1"), click_url(collector, "ad-c2")
    attrs = {**NO_HOST_IDS, "data-session-id-from": "cookie:shop_sid"}
    head = script("document.cookie = 'shop_sid=before-login; path=/';")
    body = ad_html(first, id="first") + ad_html(second, id="second")
    page.goto(make_page(site, collector, body, attrs=attrs, head_html=head))
    wait_ready(page)
    page.click("#first")
    assert len(collector.wait_for(1, timeout=10.0)) == 1

    how = page.evaluate(WRITE_COOKIE, "shop_sid=after-login; path=/")
    page.click("#second")

    assert len(collector.wait_for(2, timeout=10.0)) == 2
    page_log.wait_outcome(page, "delivered", count=2)
    grace(page)
    assert [b["session_id"] for b in bodies(collector)] == ["before-login", "after-login"], how


def wait_line(page: Page, page_log: Any, needle: str, timeout_ms: int = 5_000) -> None:
    """Wait (bounded) for a console line containing ``needle``."""
    waited = 0
    while not debug_lines(page_log, needle) and waited < timeout_ms:
        page.wait_for_timeout(50)
        waited += 50
    assert debug_lines(page_log, needle), [m.text for m in page_log.console]


def test_vtex_preset_reads_vtex_cookie_and_user_data_posted_before_boot(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """data-session-id-from="vtex" sends VtexRCMacIdv7 (the per-device id), never
    VtexRCSessionIdv7; data-user-id-from="vtex" (without data-vtex-events) takes the
    profile id of a vtex:userData that VTEX's pixel manager posted while the page was
    still loading (the loader kept it in memory), and ignores an order."""
    url = click_url(collector, "ad-vtex")
    held = hold_requests(page, SLOW_HERO)
    head = script(
        "document.cookie = 'VtexRCMacIdv7=3f1c2b9e-mac-id; path=/';"
        "document.cookie = 'VtexRCSessionIdv7=browsing-session; path=/';"
    )
    attrs = {**NO_HOST_IDS, "data-user-id-from": "vtex", "data-session-id-from": "vtex"}
    body = f'<img src="{SLOW_HERO}" alt="">' + ad_html(url, id="ad")
    goto_still_loading(page, make_page(site, collector, body, attrs=attrs, head_html=head))
    page.evaluate(
        "() => window.postMessage({eventName: 'vtex:userData', isAuthenticated: true,"
        " id: 'vtex-profile-5'}, window.origin)"
    )
    page.wait_for_timeout(200)  # the message is delivered (a task)
    release(page, held, SLOW_HERO)
    wait_ready(page)
    page_log.wait_outcome(page, "identified")

    page.click("#ad")

    events = delivered(page, page_log, collector, url)
    assert len(events) == 1, events
    assert events[0].body_json == {"user_id": "vtex-profile-5", "session_id": "3f1c2b9e-mac-id"}


def test_an_empty_or_unreadable_place_falls_back_and_says_so_once(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """No such cookie (and an HttpOnly one, which script cannot read, is the same): the
    tracker's own session id is sent, and debug mode says so once however many events."""
    urls = [click_url(collector, f"ad-empty-{n}") for n in range(3)]
    attrs = {**NO_HOST_IDS, "data-session-id-from": "cookie:shop_sid"}
    headers = {"Set-Cookie": "shop_sid=hidden; Path=/; HttpOnly"}
    ads = "".join(ad_html(u, id=f"ad{n}") for n, u in enumerate(urls))
    page.goto(make_page(site, collector, ads, attrs=attrs, headers=headers))
    wait_ready(page)

    for n in range(3):
        page.click(f"#ad{n}")

    assert len(collector.wait_for(3, timeout=10.0)) == 3
    page_log.wait_outcome(page, "delivered", count=3)
    own = own_ids(page)
    assert (
        bodies(collector) == [{"user_id": own["anon_user_id"], "session_id": own["session_id"]}] * 3
    )
    said = debug_lines(page_log, "session_id: cookie:shop_sid is not set")
    assert len(said) == 1, said


#: Values a hostile or broken page may leave where the tracker reads its ids.
HOSTILE = """
localStorage.setItem('shop.user', 'evil\\u0000\\u001b[31m\\nuser');
sessionStorage.setItem('shop.session', 'x'.repeat(100 * 1024));
"""


def test_hostile_values_are_refused_and_the_page_is_unharmed(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """A user id with control characters and a 100 kB session id: both refused (the
    tracker's own ids go out instead, schema-valid), one clear debug line each, no page
    error, and the click still reaches the collector."""
    url = click_url(collector, "ad-hostile")
    attrs = {
        **NO_HOST_IDS,
        "data-user-id-from": "localStorage:shop.user",
        "data-session-id-from": "sessionStorage:shop.session",
    }
    page.goto(
        make_page(site, collector, ad_html(url, id="ad"), attrs=attrs, head_html=script(HOSTILE))
    )
    wait_ready(page)

    page.click("#ad")

    events = delivered(page, page_log, collector, url)
    assert len(events) == 1, events
    own = own_ids(page)
    assert events[0].status == 202 and events[0].errors == []
    assert events[0].body_json == {"user_id": own["anon_user_id"], "session_id": own["session_id"]}
    assert len(debug_lines(page_log, "user_id: localStorage:shop.user is not an id")) == 1
    said = debug_lines(page_log, "session_id: sessionStorage:shop.session holds 102400 characters")
    assert len(said) == 1, said
    assert all(len(m.text) < 1_000 for m in page_log.console)  # the value is never echoed
