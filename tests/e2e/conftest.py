"""Fixtures for the end-to-end tests: the built tracker in headless Chromium.

Every test here:

* runs against the built dist (``web/dist``, made by ``python3 build.py``), served by a
  :class:`devserver.StaticServer` under ``/static/adt/dist/`` like a real storefront;
* beacons to its own :class:`devserver.Collector` on another port (another origin), which
  validates every body against VTEX's OpenAPI schema;
* gets a fresh browser context (pytest-playwright's default) and a ``page`` whose page
  errors, console messages, requests and ``adtracker:event`` decisions are recorded in
  ``page_log``. After each test the fixture asserts that no page error was seen and that
  the browser never sent a request anywhere but 127.0.0.1.

All waits are bounded: ``collector.wait_for(..., timeout=...)``, ``wait_ready(page)`` and
``page_log.wait_outcome(page, ...)``. Negative assertions wait for the tracker's own
decision event (``refused``, ``deduplicated``, ``rejected``) and then a short grace period
before asserting exact counts.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from e2e_helpers import (
    DEFAULT_ATTRS,
    DIST,
    E2E_DIR,
    GRACE_MS,
    HOST_SESSION_ID,
    HOST_USER_ID,
    MOUNT,
    READY_TIMEOUT_MS,
    REPO_ROOT,
    TRACKER_JS,
    ad_html,
    grace,
    make_page,
    render_attrs,
    started,
    wait_ready,
)

from adtracker.import_fallback import MISS_NOTE
from devserver import Collector, StaticServer
from devserver.chromium import launch_options

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request

# Defined in e2e_helpers (test modules import them from there); named here for the
# fixtures below and for code that imported them from conftest.
__all__ = [
    "DEFAULT_ATTRS",
    "DIST",
    "GRACE_MS",
    "HOST_SESSION_ID",
    "HOST_USER_ID",
    "MOUNT",
    "READY_TIMEOUT_MS",
    "render_attrs",
]


# --------------------------------------------------------------------------- collection


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e ``e2e``; skip them all when the dist is not built."""
    missing = not TRACKER_JS.exists()
    skip = pytest.mark.skip(
        reason=f"{TRACKER_JS.relative_to(REPO_ROOT)} is missing: run python3 build.py first"
    )
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if missing:
                item.add_marker(skip)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Use Debian's Chromium when present (else Playwright's), with hardened flags."""
    return launch_options(browser_type_launch_args)


# --------------------------------------------------------------------------- servers


def _collectors() -> tuple[Callable[[int], Collector], list[Collector]]:
    """A factory of collectors on a given port (0: any), and the list of those it made."""
    made: list[Collector] = []

    def _at(port: int = 0) -> Collector:
        c = Collector(host="127.0.0.1", port=port).start()
        made.append(c)
        return c

    return _at, made


@pytest.fixture
def collector() -> Iterator[Collector]:
    """A fresh beacon collector on its own port (a different origin from the page)."""
    c = Collector(host="127.0.0.1", port=0).start()
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def new_collector() -> Iterator[Callable[[], Collector]]:
    """Factory for extra collectors (other origins); all are stopped after the test."""
    at, made = _collectors()
    yield at
    for c in made:
        c.stop()


@pytest.fixture
def collector_at() -> Iterator[Callable[[int], Collector]]:
    """Factory: a collector started on a given port (e.g. one that refused connections
    until now); all are stopped after the test."""
    at, made = _collectors()
    yield at
    for c in made:
        c.stop()


@pytest.fixture
def site() -> Iterator[StaticServer]:
    """The storefront: web/dist served under /static/adt/dist/, plus pages tests add."""
    s = StaticServer(DIST, port=0, mount=MOUNT).start()
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(name="make_page")
def make_page_fixture() -> Callable[..., str]:
    """``make_page(site, collector, body_html, *, attrs=None, path=None, mount=MOUNT,
    headers=None) -> url``."""
    return make_page


@pytest.fixture(name="ad_html")
def ad_html_fixture() -> Callable[..., str]:
    """``ad_html(url, text="Ad", *, tag="a", href="#x", **attrs) -> html``."""
    return ad_html


# --------------------------------------------------------------------------- page + log


@dataclass(frozen=True)
class ConsoleEntry:
    type: str
    text: str
    page_url: str


@dataclass(frozen=True)
class RequestEntry:
    method: str
    url: str
    resource_type: str


@dataclass
class PageLog:
    """What the browser did during one test (all pages of the test's context)."""

    errors: list[str] = field(default_factory=list)
    console: list[ConsoleEntry] = field(default_factory=list)
    requests: list[RequestEntry] = field(default_factory=list)
    #: ``adtracker:event`` details, each with the page URL added under "page".
    tracker_events: list[dict[str, Any]] = field(default_factory=list)
    #: Hosts a test answers itself with ``page.route`` (never reached on the network).
    routed_hosts: set[str] = field(default_factory=set)

    def console_errors(self) -> list[ConsoleEntry]:
        return [m for m in self.console if m.type == "error"]

    def outcomes(self, outcome: str, url: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.tracker_events
            if e.get("outcome") == outcome and (url is None or e.get("url") == url)
        ]

    def wait_outcome(
        self,
        page: Page,
        outcome: str,
        *,
        count: int = 1,
        url: str | None = None,
        timeout: float = 10.0,
    ) -> list[dict[str, Any]]:
        """Wait (bounded) until ``count`` tracker decisions with ``outcome`` were seen."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.outcomes(outcome, url)
            if len(found) >= count or time.monotonic() >= deadline:
                break
            page.wait_for_timeout(50)  # lets Playwright deliver pending events
        assert len(found) >= count, (
            f"expected {count} adtracker:event with outcome {outcome!r}"
            f"{f' for {url}' if url else ''} within {timeout}s; "
            f"saw {self.tracker_events!r}"
        )
        return found


# Records every tracker decision, across navigations, into PageLog.tracker_events.
_RECORD_TRACKER_EVENTS = """
document.addEventListener("adtracker:event", (event) => {
  let detail;
  try {
    // The replacer skips a page's String/Array.prototype.toJSON (tests/e2e/other_scripts.py).
    const own = function (key) { return this[key]; };
    detail = JSON.parse(JSON.stringify(event.detail ?? null, own)) || {};
  } catch (err) {
    detail = { unserializable: String(err) };
  }
  detail.page = location.href;
  try {
    Promise.resolve(window.__e2eRecordTrackerEvent(detail)).catch(() => {});
  } catch (err) {}
});
"""


@pytest.fixture
def page_log() -> PageLog:
    """Page errors, console messages, requests and tracker decisions of the test."""
    return PageLog()


def _off_loopback(url: str) -> bool:
    parts = urlsplit(url[len("blob:") :] if url.startswith("blob:") else url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != "127.0.0.1"


@pytest.fixture
def page(page: Page, context: BrowserContext, page_log: PageLog) -> Iterator[Page]:
    """pytest-playwright's page, instrumented; fails the test on any page error."""

    def attach(p: Page) -> None:
        p.on("pageerror", lambda exc: page_log.errors.append(f"{p.url}: {exc}"))
        p.on("crash", lambda _p: page_log.errors.append(f"{p.url}: page crashed"))

        def on_console(msg: ConsoleMessage) -> None:
            page_log.console.append(ConsoleEntry(msg.type, msg.text, p.url))

        p.on("console", on_console)

    def on_request(req: Request) -> None:
        page_log.requests.append(RequestEntry(req.method, req.url, req.resource_type))

    context.expose_binding(
        "__e2eRecordTrackerEvent",
        lambda _source, detail: page_log.tracker_events.append(dict(detail or {})),
    )
    context.add_init_script(_RECORD_TRACKER_EVENTS)
    context.on("request", on_request)
    context.on("page", attach)
    attach(page)

    yield page

    if not page.is_closed():
        page.wait_for_timeout(100)  # deliver events still in flight
    assert page_log.errors == [], f"page errors seen: {page_log.errors!r}"
    # The trimmed archives must hold all that the tracker imports (buildtools/trim.py).
    misses = [c.text for c in page_log.console if MISS_NOTE in c.text]
    assert misses == [], f"the import trace missed a module: {misses!r}"
    off = [
        r.url
        for r in page_log.requests
        if _off_loopback(r.url) and urlsplit(r.url).hostname not in page_log.routed_hosts
    ]
    assert off == [], f"requests left 127.0.0.1: {off!r}"


# --------------------------------------------------------------------------- waiting


@pytest.fixture(name="wait_ready")
def wait_ready_fixture() -> Callable[..., None]:
    """``wait_ready(page, timeout_ms=30000)``: bounded wait for ``adTracker.ready``."""
    return wait_ready


@pytest.fixture(name="grace")
def grace_fixture() -> Callable[..., None]:
    """``grace(page, ms=1000)``."""
    return grace


@pytest.fixture
def ready_page(page: Page, site: StaticServer, collector: Collector) -> Callable[..., str]:
    """``ready_page(body_html, *, attrs=None, path=None, mount=MOUNT, headers=None) -> url``:
    open a storefront page (see ``make_page``) in the test's ``page``, served by ``site``
    and beaconing to ``collector``, and wait until ``adTracker.ready`` resolves."""
    return functools.partial(started, page, site, collector)
