"""Hostile input, end to end: ad markup, script-tag values, server answers and
``adTracker.push`` commands that try to make the tracker send where it must not, crash,
or stop.

Each test asserts exact counts at the collector(s); negative cases wait for the tracker's
own decision event and a grace period first. The ``page`` fixture (conftest) fails any
test whose page raised an uncaught error or sent a request anywhere but 127.0.0.1.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from e2e_helpers import HOST_IDS, click_url, delivered_once, is_read, path_of
from playwright.sync_api import Page


def tracker_errors(page_log: Any) -> list[str]:
    """console.error lines the tracker wrote."""
    return [m.text for m in page_log.console_errors() if "[adtracker]" in m.text]


def beacon_requests(page_log: Any, *origins: str) -> list[str]:
    """Requests the browser made to any of ``origins``, or that do more than read."""
    return [
        f"{r.method} {r.url}"
        for r in page_log.requests
        if not is_read(r.method, r.url) or any(r.url.startswith(o) for o in origins)
    ]


def push(page: Page, *commands: Any) -> list[str]:
    """``adTracker.push(c)`` for each command; what each returned, or what it threw."""
    return page.evaluate(
        """(commands) => commands.map((c) => {
          try { return `returned ${window.adTracker.push(c)}`; }
          catch (err) { return `threw ${err}`; }
        })""",
        list(commands),
    )


# --------------------------------------------------------------------------- ad markup


def test_hostile_ad_urls_send_nothing(
    page, page_log, collector, ready_page, new_collector, ad_html, grace
):
    """Each hostile data-ad-click-url is refused with a reason; no request goes anywhere."""
    other = new_collector()
    port = urlsplit(collector.origin).port
    allowed = collector.url("/v1/beacon/click/ad-padded?pos=1")
    # id → (hostile URL, a word the refusal's reason must contain, or "" for any reason)
    cases: dict[str, tuple[str, str]] = {
        "js": ("javascript:alert(1)", "javascript"),
        "data": ("data:text/plain,x", "data"),
        "relative": ("/v1/beacon/click/ad-rel?pos=1", "relative"),
        "protocol-relative": (f"//127.0.0.1:{port}/v1/beacon/click/ad-pr?pos=1", "relative"),
        "padded": (f"  {allowed}\n", "whitespace"),
        "text": ("sponsored-product", ""),
        "huge": (collector.url("/v1/beacon/click/ad-huge?x=") + "a" * 100_000, "8192"),
        "credentials": (f"http://u:p@127.0.0.1:{port}/v1/beacon/click/ad-cred", "credentials"),
        "foreign": (click_url(other, "ad-foreign"), "data-beacon-origins"),
    }
    body = "".join(ad_html(url, name, id=name) for name, (url, _) in cases.items())
    ready_page(body)

    for name in cases:
        page.click(f"#{name}")

    page_log.wait_outcome(page, "refused", count=len(cases))
    grace(page)
    for name, (url, word) in cases.items():
        refused = page_log.outcomes("refused", url=url)
        assert len(refused) == 1, (name, page_log.tracker_events)
        reason = refused[0].get("reason") or ""
        assert reason, f"{name}: refused without a reason"
        assert word.lower() in reason.lower(), f"{name}: reason {reason!r} lacks {word!r}"
    outcomes = [e["outcome"] for e in page_log.tracker_events]
    assert outcomes == ["refused"] * len(cases), page_log.tracker_events
    for c in (collector, other):
        assert c.events() == []
        assert c.preflights() == []
    assert beacon_requests(page_log, collector.origin, other.origin) == []


# --------------------------------------------------------------------------- script tag


def test_wrongly_typed_config_is_reported_and_tracking_continues(
    page, page_log, collector, ready_page, ad_html, grace
):
    """Bad data-session-ttl-days / data-request-timeout / data-consent: one console.error
    naming each attribute, the tracker starts with defaults, and a click is delivered."""
    bad = {
        "data-session-ttl-days": "soon",
        "data-request-timeout": "-3",
        "data-consent": "maybe",
    }
    url = click_url(collector, "ad-config")
    # Generated ids, so that the session ttl is actually used.
    attrs = {**bad, "data-user-id": None, "data-session-id": None}
    ready_page(ad_html(url, id="ad"), attrs=attrs)

    errors = tracker_errors(page_log)
    for attr in bad:
        named = [e for e in errors if attr in e]
        assert len(named) == 1, (attr, errors)
    assert len(errors) == len(bad), errors

    page.click("#ad")

    events = delivered_once(page, page_log, collector, url)
    assert events[0].status == 202
    assert events[0].path == path_of(url)
    assert events[0].errors == []


def test_invalid_beacon_origins_falls_back_to_default_and_refuses(
    page, page_log, collector, ready_page, ad_html, grace
):
    """data-beacon-origins="not an origin": a console.error names the attribute, the
    default (VTEX) origin applies, so a click to the local collector is refused."""
    url = click_url(collector, "ad-origins")
    attrs = {"data-beacon-origins": "not an origin"}
    ready_page(ad_html(url, id="ad"), attrs=attrs)

    errors = tracker_errors(page_log)
    assert len([e for e in errors if "data-beacon-origins" in e]) == 1, errors

    page.click("#ad")

    refused = page_log.wait_outcome(page, "refused", url=url)
    assert "data-beacon-origins" in refused[0]["reason"], refused
    grace(page)
    assert collector.events() == []
    assert collector.preflights() == []
    assert beacon_requests(page_log, collector.origin) == []


# --------------------------------------------------------------------------- answers


def test_odd_2xx_bodies_are_delivered(page, page_log, collector, ready_page, ad_html, grace):
    """A 202 whose body is HTML, and a 202 with a 2 MB body: both delivered, once each."""
    html_url = click_url(collector, "ad-html-body")
    huge_url = click_url(collector, "ad-huge-body")
    collector.add_fault("/v1/beacon/click/ad-html-body", 202, body="<html>oops</html>")
    huge = '{"messages": ["' + "x" * (2 * 1024 * 1024) + '"]}'
    collector.add_fault("/v1/beacon/click/ad-huge-body", 202, body=huge)
    body = ad_html(html_url, "html", id="html") + ad_html(huge_url, "huge", id="huge")
    ready_page(body)

    page.click("#html")
    page.click("#huge")

    assert len(collector.wait_for(2, timeout=10.0)) == 2
    page_log.wait_outcome(page, "delivered", url=html_url)
    page_log.wait_outcome(page, "delivered", url=huge_url)
    grace(page)
    events = collector.events()
    assert len(events) == 2, events
    assert sorted(e.path for e in events) == sorted([path_of(html_url), path_of(huge_url)])
    assert all(e.status == 202 and e.body_json == HOST_IDS for e in events)
    assert [e["outcome"] for e in page_log.tracker_events if e["outcome"] != "sent"] == [
        "delivered",
        "delivered",
    ]
    assert tracker_errors(page_log) == []


def test_redirects_are_never_followed(
    page, page_log, site, collector, ready_page, new_collector, ad_html, grace
):
    """302 and 307 answers pointing at another collector, or at another server that logs
    every request (the shop's static server: a 302 turns the POST into a GET, which a
    collector would not record): never followed, "rejected", not retried. Exactly one
    request each reaches the first collector and nothing reaches the targets.

    (Playwright reports a request event for each redirect target, since Chromium announces
    the redirect before fetch's redirect:"manual" stops it; the servers are the evidence.)
    """
    other = new_collector()
    targets = {
        "collector": lambda s: click_url(other, f"stolen-{s}"),
        "static": lambda s: site.url(f"/stolen/{s}?pos=1"),
    }
    urls: dict[tuple[int, str], str] = {}
    for status in (302, 307):
        for name, target in targets.items():
            ad = f"ad-redirect-{status}-{name}"
            collector.add_fault(
                f"/v1/beacon/click/{ad}", status, headers={"Location": target(status)}
            )
            urls[status, name] = click_url(collector, ad)
    body = "".join(ad_html(u, f"{s} {n}", id=f"r{s}-{n}") for (s, n), u in urls.items())
    ready_page(body, attrs={"data-request-timeout": "2"})

    for status, name in urls:
        page.click(f"#r{status}-{name}")

    for url in urls.values():
        rejected = page_log.wait_outcome(page, "rejected", url=url)
        assert "redirect" in rejected[0]["reason"], rejected
    grace(page, 2_500)  # a (wrong) retry would come within ~1 s
    assert other.events() == []
    assert other.preflights() == []
    assert [r for r in site.requests() if r.path.startswith("/stolen/")] == []
    events = collector.events()
    assert len(events) == len(urls), events
    assert sorted((e.status, e.path) for e in events) == sorted(
        (s, path_of(u)) for (s, _), u in urls.items()
    )
    assert collector.accepted() == []
    assert len(page_log.outcomes("rejected")) == len(urls)
    assert page_log.outcomes("failed") == []
    assert page_log.outcomes("delivered") == []


# --------------------------------------------------------------------------- commands


def test_bad_commands_log_errors_and_send_nothing(page, page_log, collector, ready_page, grace):
    """Malformed adTracker.push commands: a console.error each, no exception, nothing
    sent; a well-formed click command then sends exactly one event."""
    url = click_url(collector, "ad-command")
    ready_page("<p>no ads in the markup</p>")

    bad: list[Any] = [
        ["nope"],
        "click",
        ["click"],
        ["click", 5],
        ["click", url, "extra"],
        ["consent", "maybe"],
        ["debug", "yes please"],
        None,
        [],
    ]
    results = push(page, *bad)

    assert [r for r in results if r.startswith("threw")] == [], results
    grace(page)
    errors = [e for e in tracker_errors(page_log) if "bad command" in e]
    assert len(errors) == len(bad), tracker_errors(page_log)
    assert collector.events() == []
    assert collector.preflights() == []

    assert push(page, ["click", url]) == ["returned 0"]

    events = delivered_once(page, page_log, collector, url)
    assert events[0].status == 202
    assert events[0].path == path_of(url)
    assert events[0].body_json == HOST_IDS
    assert len([e for e in tracker_errors(page_log) if "bad command" in e]) == len(bad)
