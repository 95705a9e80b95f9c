"""Helpers shared by the end-to-end test modules and their conftest: where the dist is, the
host's ids, storefront pages that embed the tracker, bounded waits, held requests.

Test modules import what they need from here; conftest.py wraps the same functions in
fixtures of the same names (``make_page``, ``ad_html``, ``wait_ready``, ``grace``) and adds
``ready_page``, which opens a page with the tracker and waits until it is ready.
"""

from __future__ import annotations

import base64
import contextlib
import html
import itertools
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Route
from playwright.sync_api import Error as PlaywrightError

from adtracker.events.preboot import LOADER_SENT

if TYPE_CHECKING:
    from conftest import PageLog

    from devserver import Collector, Received, StaticServer

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
DIST = REPO_ROOT / "web" / "dist"
TRACKER_JS = DIST / "tracker.js"
#: The demo storefronts (built beside the dist, not in it), served at the dist's root.
DEMO_DIST = REPO_ROOT / "web" / "demo-dist"
#: Where the storefront serves the dist (and so loads tracker.js from).
MOUNT = "/static/adt/dist/"

READY_TIMEOUT_MS = 30_000
#: How long a negative assertion waits after the tracker's decision before counting.
GRACE_MS = 1_000

#: The ids the host page passes on the script tag, and so the body of every beacon.
HOST_USER_ID = "customer-42"
HOST_SESSION_ID = "storefront-session-id"
HOST_IDS = {"user_id": HOST_USER_ID, "session_id": HOST_SESSION_ID}

#: Script-tag attributes of every page unless a test overrides them (None removes one,
#: "" renders a boolean attribute). data-beacon-origins defaults to the collector origin.
DEFAULT_ATTRS: dict[str, str | None] = {
    "data-user-id": HOST_USER_ID,
    "data-session-id": HOST_SESSION_ID,
    "data-debug": "",
}

#: VTEX's 422 body for a click without user_id (Ajv errors, as the real endpoint sends).
AJV_422 = (
    '[{"instancePath":"","schemaPath":"#/anyOf/0/required","keyword":"required",'
    '"params":{"missingProperty":"user_id"},'
    '"message":"must have required property \'user_id\'"}]'
)

#: A hero image a test holds unanswered so the page's load event (after which the
#: loader boots Pyodide) stays pending: lets a test click "before ready" deterministically.
#: Without it the click would race Pyodide's boot, which blocks the main thread.
SLOW_HERO = "/shop/slow-hero.gif"
TINY_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


#: <ad-card click=… impression=… view=…>: renders its ad (id "ad", 300 × 100 px) into an
#: open shadow root when it is connected (as Lit does), defined before the markup that
#: uses it.
AD_CARD = """<script>
customElements.define("ad-card", class extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const ad = document.createElement("a");
    ad.id = "ad";
    ad.href = "#card";
    ad.setAttribute("style", "__BOX__");
    for (const [from, to] of [["click", "data-ad-click-url"],
        ["impression", "data-ad-impression-url"], ["view", "data-ad-view-url"]]) {
      if (this.hasAttribute(from)) ad.setAttribute(to, this.getAttribute(from));
    }
    ad.innerHTML = "<span id=label>Sponsored</span>";
    this.attachShadow({mode: "open"}).appendChild(ad);
  }
});
</script>""".replace("__BOX__", "display:block;width:300px;height:100px;background:#eee")


def is_read(method: str, url: str) -> bool:
    """A request that only reads: a GET, or the snapshot Worker's HEAD asking whether the
    host compresses a stored archive of the runtime (buildtools/archives.py)."""
    return method == "GET" or (method == "HEAD" and "/r-" in url and "/stored/" in url)


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


# --------------------------------------------------------------------------- pages

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


def ad_html(
    url: str, text: str = "Ad", *, tag: str = "a", href: str | None = "#x", **extra: str
) -> str:
    """An ad element whose click URL is ``url`` (attribute-escaped, so ``&`` stays ``&``)."""
    attrs: dict[str, str | None] = {"data-ad-click-url": url}
    if tag == "a" and href is not None:
        attrs["href"] = href
    attrs.update(extra)
    return f"<{tag} {render_attrs(attrs)}>{html.escape(text)}</{tag}>"


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


def grace(page: Page, ms: int = GRACE_MS) -> None:
    """A short fixed wait before a negative assertion (keeps Playwright events flowing)."""
    page.wait_for_timeout(ms)


def started(
    page: Page, site: StaticServer, collector: Collector, body_html: str, **options: Any
) -> str:
    """Open a storefront page (``make_page`` with ``options``) and wait until the tracker is
    ready; return the page's URL."""
    url = make_page(site, collector, body_html, **options)
    page.goto(url)
    wait_ready(page)
    return url


def open_in_two_tabs(page: Page, context: BrowserContext, url: str) -> Page:
    """Open ``url`` in ``page`` and in a second tab of the same profile; wait until both
    trackers are ready; return the second tab."""
    page.goto(url)
    other = context.new_page()
    other.goto(url)
    wait_ready(page)
    wait_ready(other)
    return other


def delivered(
    page: Page,
    page_log: PageLog,
    collector: Collector,
    url: str,
    *,
    timeout: float = 10.0,
    grace_ms: int = GRACE_MS,
) -> list[Received]:
    """Wait (bounded) until the collector accepted a POST and the tracker reported the beacon
    to ``url`` delivered, then ``grace_ms``; return every POST the collector received."""
    assert len(collector.wait_for(1, timeout=timeout)) == 1
    page_log.wait_outcome(page, "delivered", url=url)
    grace(page, grace_ms)
    return collector.events()


def delivered_once(page: Page, page_log: PageLog, collector: Collector, url: str) -> list[Received]:
    """:func:`delivered`, asserting that the collector received exactly one POST in all."""
    events = delivered(page, page_log, collector, url)
    assert len(events) == 1, events
    return events


def assert_local_only(page_log: Any, *origins: str) -> None:
    """Every request went to one of ``origins`` (data: and blob: URLs aside)."""
    foreign = []
    for r in page_log.requests:
        url = r.url[len("blob:") :] if r.url.startswith("blob:") else r.url
        if url.startswith("data:"):
            continue
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" not in origins:
            foreign.append(r.url)
    assert foreign == [], foreign


def wait_collected(page: Page, collector: Any, n: int, timeout: float = 15.0) -> list[Any]:
    """Like ``collector.wait_for`` (accepted events), but keeps Playwright's events flowing
    while it waits: needed when ``page.route`` handlers answer the beacons."""
    deadline = time.monotonic() + timeout
    while True:
        got = collector.accepted()
        if len(got) >= n or time.monotonic() >= deadline:
            return got
        page.wait_for_timeout(50)


#: The loader's attempt was not answered before its page went: the next page's outbox
#: sends it again after the attempt's lease (docs/guarantees.md#copies), with the same
#: ids, so VTEX counts it once. The lease: the attempt's timeout (10 s) + 5 s.
COPY_WITHIN_SECONDS = 25.0


def copies_of_a_navigating_preboot_click(decisions: list[dict[str, Any]], url: str) -> int:
    """How many requests a pre-boot click on a link that left its page gives, by the next
    page's first decision on it: 2 when the loader sent it and its answer was lost with
    the page (the documented copy), else 1 (answered, or sent by the next page)."""
    first = next((d for d in decisions if d.get("url") == url), None)
    assert first is not None, f"the next page decided nothing on {url}: {decisions}"
    return 2 if first.get("reason") == LOADER_SENT else 1


def navigating_preboot_copies(page: Page, page_log: PageLog, url: str) -> int:
    """Wait (bounded) until a page decided on the pre-boot click ``url`` of a link that
    left its page; then :func:`copies_of_a_navigating_preboot_click`."""
    for _ in range(200):
        if any(e.get("url") == url for e in page_log.tracker_events):
            break
        page.wait_for_timeout(50)
    return copies_of_a_navigating_preboot_click(page_log.tracker_events, url)
