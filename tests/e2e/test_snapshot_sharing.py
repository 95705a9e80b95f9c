"""The snapshot reaches the very next page, and tabs that open at once share one.

A shopper who moves on the moment ``adTracker.ready`` resolves kills the first page's
Worker with the page: the snapshot must already be in Cache Storage by then. Tabs that
open together (a restored browser window) make one snapshot between them: the Worker
that makes it holds a Web Lock, the others wait for it and read the cache. Each fallback
of that wait has its own test: no Web Locks, and a holder that never lets go.
"""

from __future__ import annotations

from typing import Any

from e2e_helpers import click_url
from playwright.sync_api import Page
from test_snapshot import (
    GZIP_ENTRY,
    boot_notes,
    boot_path,
    cached_names,
    click_and_assert_delivered,
    wait_settled,
)

#: Opens the page once more, with ``?next``, in the same task as ``adTracker.ready``
#: resolves (a shopper clicking on at once): nothing of the first page runs after it.
MOVE_ON_AT_READY = """
if (!location.search.includes("next")) {
  const poll = setInterval(() => {
    if (!window.adTracker) return;
    clearInterval(poll);
    adTracker.ready.then(() => location.replace(location.pathname + "?next"));
  }, 1);
}
"""

#: Holds the snapshot lock until the page goes away (another tab stuck mid-snapshot).
HOLD_THE_LOCK = """() => new Promise((held) => {
  navigator.locks.request("adtracker-snapshot", () => {
    held(true);
    return new Promise(() => {});
  });
})"""

STORE_TIMEOUT_MS = 90_000


def open_tracker(page: Page, site: Any, collector: Any, make_page: Any, ad_html: Any, name: str):
    url = click_url(collector, name)
    return url, make_page(site, collector, ad_html(url, id="ad"))


def test_a_page_left_the_moment_ready_resolves_leaves_its_snapshot_to_the_next(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    page.add_init_script(MOVE_ON_AT_READY)
    url, page_url = open_tracker(page, site, collector, make_page, ad_html, "ad-share-next")
    page.goto(page_url)
    page.wait_for_url("**?next", timeout=STORE_TIMEOUT_MS)
    wait_ready(page)

    assert boot_path(page) == "cache", boot_notes(page_log)
    click_and_assert_delivered(page, page_log, collector, url)


def test_tabs_that_open_at_once_make_one_snapshot_between_them(
    page, context, page_log, site, collector, make_page, ad_html, wait_ready
):
    url, page_url = open_tracker(page, site, collector, make_page, ad_html, "ad-share-tabs")
    tabs = [page, context.new_page(), context.new_page()]
    for tab in tabs:
        tab.goto(page_url, wait_until="commit")
    for tab in tabs:
        wait_ready(tab, timeout_ms=STORE_TIMEOUT_MS)

    paths = sorted(boot_path(tab) for tab in tabs)
    assert paths == ["cache", "cache", "worker"], paths
    assert sum(1 for r in site.requests() if r.path.endswith(".whl")) == len(
        {r.path for r in site.requests() if r.path.endswith(".whl")}
    )  # the wheels were fetched by one Worker only
    click_and_assert_delivered(page, page_log, collector, url)


def test_a_tab_that_holds_the_lock_too_long_only_delays_the_others(
    page, context, page_log, site, collector, make_page, ad_html, wait_ready
):
    """Another tab holds the lock and never lets go: after its wait this tab makes its
    own snapshot (the wait is cut to 0.5 s by a test fault; 12 s in production)."""
    url, page_url = open_tracker(page, site, collector, make_page, ad_html, "ad-share-stuck")
    site.add_page("/holder.html", "<!doctype html><title>another tab</title>")
    holder = context.new_page()
    holder.goto(site.url("/holder.html"))
    assert holder.evaluate(HOLD_THE_LOCK) is True
    page.add_init_script("window.__adtrackerTestFaults = 'lock-wait-short'")
    page.goto(page_url)
    wait_ready(page, timeout_ms=STORE_TIMEOUT_MS)

    assert boot_path(page) == "worker"
    click_and_assert_delivered(page, page_log, collector, url)


def test_without_web_locks_each_tab_still_restores_a_snapshot(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    page.add_init_script("window.__adtrackerTestFaults = 'no-locks'")
    url, page_url = open_tracker(page, site, collector, make_page, ad_html, "ad-share-nolocks")
    page.goto(page_url)
    wait_ready(page)

    assert boot_path(page) == "worker"
    assert wait_settled(page)["encoding"] == "gzip"
    assert cached_names(page) == GZIP_ENTRY
    click_and_assert_delivered(page, page_log, collector, url)
