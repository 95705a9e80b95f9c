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

import html
import importlib
import itertools
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request

    from devserver import Collector, StaticServer

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
DIST = REPO_ROOT / "web" / "dist"
TRACKER_JS = DIST / "tracker.js"
MOUNT = "/static/adt/dist/"


READY_TIMEOUT_MS = 30_000
#: How long a negative assertion waits after the tracker's decision before counting.
GRACE_MS = 1_000

HOST_USER_ID = "customer-42"
HOST_SESSION_ID = "storefront-session-id"

#: Script-tag attributes of every page unless a test overrides them (None removes one,
#: "" renders a boolean attribute). data-beacon-origins defaults to the collector origin.
DEFAULT_ATTRS: dict[str, str | None] = {
    "data-user-id": HOST_USER_ID,
    "data-session-id": HOST_SESSION_ID,
    "data-debug": "",
}


def _devserver() -> ModuleType:
    """Import the repo's ``devserver`` package whatever the current directory is."""
    root = str(REPO_ROOT)
    if root not in sys.path:
        sys.path.insert(0, root)
    module = importlib.import_module("devserver")
    importlib.import_module("devserver.chromium")
    return module


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
    return _devserver().chromium.launch_options(browser_type_launch_args)


# --------------------------------------------------------------------------- servers


@pytest.fixture
def collector() -> Iterator[Collector]:
    """A fresh beacon collector on its own port (a different origin from the page)."""
    c = _devserver().Collector(host="127.0.0.1", port=0).start()
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def new_collector() -> Iterator[Callable[[], Collector]]:
    """Factory for extra collectors (other origins); all are stopped after the test."""
    made: list[Collector] = []

    def _new() -> Collector:
        c = _devserver().Collector(host="127.0.0.1", port=0).start()
        made.append(c)
        return c

    yield _new
    for c in made:
        c.stop()


@pytest.fixture
def collector_at() -> Iterator[Callable[[int], Collector]]:
    """Factory: a collector started on a given port (e.g. one that refused connections
    until now); all are stopped after the test."""
    made: list[Collector] = []

    def _at(port: int) -> Collector:
        c = _devserver().Collector(host="127.0.0.1", port=port).start()
        made.append(c)
        return c

    yield _at
    for c in made:
        c.stop()


@pytest.fixture
def site() -> Iterator[StaticServer]:
    """The storefront: web/dist served under /static/adt/dist/, plus pages tests add."""
    s = _devserver().StaticServer(DIST, port=0, mount=MOUNT).start()
    try:
        yield s
    finally:
        s.stop()


_page_numbers = itertools.count(1)


def render_attrs(attrs: Mapping[str, str | None]) -> str:
    """Render HTML attributes; None omits one, "" renders it as a boolean attribute."""
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        if value == "":
            parts.append(name)
        else:
            parts.append(f'{name}="{html.escape(value, quote=True)}"')
    return " ".join(parts)


def make_page(
    site: StaticServer,
    collector: Collector,
    body_html: str,
    *,
    attrs: Mapping[str, str | None] | None = None,
    path: str | None = None,
    title: str = "e2e shop page",
    mount: str = MOUNT,
    headers: Mapping[str, str] | None = None,
    head_html: str = "",
) -> str:
    """Add a storefront page embedding the tracker the documented way; return its URL.

    ``attrs`` overrides the script tag's attributes (see DEFAULT_ATTRS; None removes one).
    ``mount`` is where tracker.js is loaded from; ``headers`` are extra response headers
    for the page (e.g. a Content-Security-Policy); ``head_html`` goes before the tracker's
    script tag (so a script there certainly runs first).
    """
    merged: dict[str, str | None] = {
        "data-beacon-origins": collector.origin,
        **DEFAULT_ATTRS,
        **(attrs or {}),
    }
    script = f'<script async src="{mount}tracker.js" {render_attrs(merged)}></script>'
    page_html = (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>\n{head_html}{script}\n</head>\n"
        f"<body>\n{body_html}\n</body></html>\n"
    )
    if path is None:
        path = f"/shop/page-{next(_page_numbers)}.html"
    return site.add_page(path, page_html, dict(headers or {}))


@pytest.fixture(name="make_page")
def make_page_fixture() -> Callable[..., str]:
    """``make_page(site, collector, body_html, *, attrs=None, path=None, mount=MOUNT,
    headers=None) -> url``."""
    return make_page


def ad_html(
    url: str, text: str = "Ad", *, tag: str = "a", href: str | None = "#x", **extra: str
) -> str:
    """An ad element whose click URL is ``url`` (attribute-escaped, so ``&`` stays ``&``)."""
    attrs: dict[str, str | None] = {"data-ad-click-url": url}
    if tag == "a" and href is not None:
        attrs["href"] = href
    attrs.update(extra)
    return f"<{tag} {render_attrs(attrs)}>{html.escape(text)}</{tag}>"


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
    detail = JSON.parse(JSON.stringify(event.detail ?? null)) || {};
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
    off = [r.url for r in page_log.requests if _off_loopback(r.url)]
    assert off == [], f"requests left 127.0.0.1: {off!r}"


# --------------------------------------------------------------------------- waiting


def wait_ready(page: Page, timeout_ms: int = READY_TIMEOUT_MS) -> None:
    """Wait (bounded) until ``window.adTracker.ready`` resolves; fail with its reason."""
    page.wait_for_function("() => !!window.adTracker", timeout=timeout_ms)
    result = page.evaluate(
        """(ms) => Promise.race([
            window.adTracker.ready.then(
                () => ({ok: true}),
                (err) => ({ok: false, reason: String(err)})),
            new Promise((resolve) => setTimeout(
                () => resolve({ok: false, reason: `adTracker.ready not settled after ${ms} ms`}),
                ms)),
        ])""",
        timeout_ms,
    )
    assert result["ok"], f"tracker did not start: {result['reason']}"


@pytest.fixture(name="wait_ready")
def wait_ready_fixture() -> Callable[..., None]:
    """``wait_ready(page, timeout_ms=30000)``: bounded wait for ``adTracker.ready``."""
    return wait_ready


def grace(page: Page, ms: int = GRACE_MS) -> None:
    """A short fixed wait before a negative assertion (keeps Playwright events flowing)."""
    page.wait_for_timeout(ms)


@pytest.fixture(name="grace")
def grace_fixture() -> Callable[..., None]:
    """``grace(page, ms=1000)``."""
    return grace
