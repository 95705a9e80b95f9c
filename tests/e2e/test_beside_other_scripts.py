"""The tracker beside what real storefronts run (tests/e2e/other_scripts.py): fetch
wrappers, Prototype.js's toJSON, Object.prototype pollution, core-js's Promise, zone.js,
a full localStorage and a router that bypasses the tracker's pushState wrapping.

Each case delivers exactly what a clean page delivers: the same requests (method, URL,
headers, body), each once, a click made before Python was ready included, and the page
sees no error (the ``page`` fixture fails the test on one).
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import (
    HOST_IDS,
    SLOW_HERO,
    click_url,
    goto_still_loading,
    grace,
    hold_requests,
    make_page,
    path_of,
    release,
    wait_collected,
    wait_ready,
)
from other_scripts import (
    CASES,
    NO_NAVIGATION_API,
    ROUTER_KEEPING_NATIVE_PUSHSTATE,
    VENDOR_MOUNT,
    VENDORED,
)
from playwright.sync_api import Page

NOTE = "is not the browser's own"
#: The tracker's decisions, kept in the page: Playwright's bindings (conftest's recorder)
#: serialize with the page's JSON, which Prototype.js's toJSON breaks.
DECISIONS = (
    "<script>window.__decisions = []; document.addEventListener('adtracker:event',"
    " function (e) { window.__decisions.push([e.detail.type, e.detail.outcome]); });</script>\n"
)


@pytest.fixture
def vendored(site: Any) -> Any:
    """The static server also serves the vendored libraries under VENDOR_MOUNT."""
    for name, path in VENDORED.items():
        assert path.is_file(), f"{path} is missing: run `npm ci` in web/ (build.py does)"
        site.add_dir(VENDOR_MOUNT + name.rsplit("/", 1)[0] + "/", path.parent, substitute=False)
    return site


def _ads(collector: Any, case: str) -> tuple[str, dict[str, str]]:
    """Two ads, one also with an impression URL; the page's body; the URLs by role."""
    urls = {
        "early": click_url(collector, f"early-{case}"),
        "late": click_url(collector, f"late-{case}"),
        "impression": collector.url(f"/v1/beacon/impression/imp-{case}?pos=1"),
    }
    body = (
        f'<img src="{SLOW_HERO}" alt="">'
        f'<div id="early" data-ad-click-url="{urls["early"]}"'
        f' data-ad-impression-url="{urls["impression"]}" style="height:80px">early</div>'
        f'<div id="late" data-ad-click-url="{urls["late"]}" style="height:80px">late</div>'
    )
    return body, urls


def _shopping(page: Page, site: Any, collector: Any, case: str, head: str, after: str) -> Any:
    """A click before ready, an impression, a click after ready; returns the ad URLs."""
    body, urls = _ads(collector, case)
    held = hold_requests(page, SLOW_HERO)
    page_html = make_page(site, collector, after + body, head_html=DECISIONS + head)
    goto_still_loading(page, page_html)
    page.click("#early")  # the loader records it (localStorage, or memory when full)
    release(page, held, SLOW_HERO)
    wait_ready(page)
    wait_collected(page, collector, 2)
    page.click("#late")  # Python's listener
    wait_collected(page, collector, 3)
    grace(page)
    return urls


def _requests(collector: Any) -> list[tuple[str, str, str, str, Any, int]]:
    return sorted(
        (
            e.path,
            e.headers.get("accept", ""),
            e.headers.get("content-type", ""),
            e.headers.get("referer", ""),
            e.body_json,
            e.status,
        )
        for e in collector.events()
    )


def _expected(urls: dict[str, str], page_url: str) -> list[tuple[str, str, str, str, Any, int]]:
    referer = page_url.split("/shop/")[0] + "/"  # strict-origin-when-cross-origin: the origin
    return sorted(
        (path_of(u), "application/json", "application/json", referer, HOST_IDS, 202)
        for u in urls.values()
    )


@pytest.mark.parametrize("case", list(CASES))
def test_events_go_out_exactly_as_on_a_clean_page(
    page: Page, page_log: Any, site: Any, collector: Any, vendored: Any, case: str
) -> None:
    other = CASES[case]

    urls = _shopping(page, site, collector, case, other.head, other.after)

    assert _requests(collector) == _expected(urls, page.url)
    decisions = page.evaluate("() => window.__decisions")
    assert {outcome for _, outcome in decisions} <= {"queued", "sent", "delivered"}, decisions
    delivered = sorted(kind for kind, outcome in decisions if outcome == "delivered")
    assert delivered == ["click", "click", "impression"], decisions
    notes = [m.text for m in page_log.console if NOTE in m.text]
    if other.noted:
        assert len(notes) == 1 and "window.fetch" in notes[0], notes
    else:
        assert notes == []
    assert [m.text for m in page_log.console_errors() if "[adtracker]" in m.text] == []
    saw = page.evaluate("() => window.__wrapperSaw || null")
    if case == "fetch-wrapper-after":  # captured before it: our beacons never go through it
        assert not any("/v1/beacon/" in url for url in saw), saw
    elif saw is not None:  # found in place: used as found
        assert sum("/v1/beacon/" in url for url in saw) == 3, saw


def test_full_local_storage_is_said_once_and_nothing_else_changes(
    page: Page, page_log: Any, site: Any, collector: Any
) -> None:
    """Other vendors filled localStorage: the pre-boot click stays in memory, the tracker
    keeps its state in memory and says so once; none of the vendors' keys is touched."""
    other = CASES["full-local-storage"]
    _shopping(page, site, collector, "full", other.head, other.after)

    warnings = [m.text for m in page_log.console if "storage is unusable" in m.text]
    assert len(warnings) == 1, warnings
    kept = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('vendor:')).length"
    )
    assert kept == page.evaluate("() => window.__storageFull")


@pytest.mark.parametrize("navigation_api", [True, False], ids=["navigation-api", "no-api"])
def test_a_router_that_bypasses_the_wrapped_pushstate_still_starts_a_new_page_view(
    page: Page, page_log: Any, site: Any, collector: Any, navigation_api: bool
) -> None:
    """The router took the browser's own pushState before the tracker wrapped it and
    installs its own after: with the Navigation API the change is seen there; without it
    the next render is (routes.py's backstop). Either way the banner, seen again on the
    new page view, is deduplicated, and the new route's banner gets its impression."""
    head = ROUTER_KEEPING_NATIVE_PUSHSTATE + ("" if navigation_api else NO_NAVIGATION_API)
    first = collector.url("/v1/beacon/impression/route-a?pos=1")
    second = collector.url("/v1/beacon/impression/route-b?pos=1")
    body = f'<div id="a" data-ad-impression-url="{first}" style="height:80px">a</div>'
    page.goto(make_page(site, collector, body, head_html=head))
    wait_ready(page)
    wait_collected(page, collector, 1)
    assert page.evaluate("() => typeof window.navigation === 'object'") is navigation_api

    page.evaluate(
        """(second) => {
          window.__installRouter();
          history.pushState({}, "", "/shop/route-b");
          const div = document.createElement("div");
          div.setAttribute("data-ad-impression-url", second);
          div.style.height = "80px";
          div.textContent = "b";
          document.body.appendChild(div);
        }""",
        second,
    )

    wait_collected(page, collector, 2)
    page_log.wait_outcome(page, "deduplicated", url=first, timeout=15.0)
    grace(page)
    assert sorted(e.path for e in collector.events()) == sorted([path_of(first), path_of(second)])
