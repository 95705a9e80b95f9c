"""Helpers shared by the end-to-end test modules (URLs, held requests, page states)."""

from __future__ import annotations

import base64
import contextlib
import time
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Route

#: A hero image a test holds unanswered so the page's load event (after which the
#: loader boots Pyodide) stays pending: lets a test click "before ready" deterministically.
#: Without it the click would race Pyodide's boot, which blocks the main thread.
SLOW_HERO = "/shop/slow-hero.gif"
TINY_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def path_of(url: str) -> str:
    """Path + query of an absolute URL, as the collector records it."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def click_url(collector: Any, ad_id: str, query: str = "?pos=1") -> str:
    return collector.url(f"/v1/beacon/click/{ad_id}{query}")


def hold_requests(page: Page, path: str) -> list[Route]:
    """Leave requests for ``path`` unanswered until :func:`release` (bounded by the test)."""
    held: list[Route] = []

    def keep(route: Route) -> None:
        held.append(route)

    page.route(f"**{path}", keep)
    return held


def release(page: Page, held: list[Route], path: str, timeout: float = 5.0) -> None:
    """Answer the held requests with a tiny GIF (ignoring ones the page abandoned)."""
    deadline = time.monotonic() + timeout
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, f"{path} was never requested"
    page.unroute(f"**{path}")
    for route in held:
        with contextlib.suppress(PlaywrightError):
            route.fulfill(status=200, content_type="image/gif", body=TINY_GIF)


def goto_still_loading(page: Page, url: str) -> None:
    """Open ``url``; return once the loader ran but (load event held) before Python boots."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function("() => !!window.adTracker", timeout=10_000)
    assert page.evaluate("() => document.readyState") != "complete"


def wait_collected(page: Page, collector: Any, n: int, timeout: float = 15.0) -> list[Any]:
    """Like ``collector.wait_for`` (accepted events), but keeps Playwright's events flowing
    while it waits: needed when ``page.route`` handlers answer the beacons."""
    deadline = time.monotonic() + timeout
    while True:
        got = collector.accepted()
        if len(got) >= n or time.monotonic() >= deadline:
            return got
        page.wait_for_timeout(50)
