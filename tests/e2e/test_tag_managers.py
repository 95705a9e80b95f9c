"""Loaded through a tag manager: GTM's Custom HTML tag, once, twice, attributes late.

The page has only GTM's snippet; a local container (``gtm.py``) injects the tracker's
tag as GTM does. The tracker must start from the injected element's attributes, send
exactly what a hand-written tag sends, run once when the tag fires twice (saying so in
debug mode), and fail clearly where it cannot find its script element.
"""

from __future__ import annotations

import itertools

from e2e_helpers import MOUNT, ad_html, click_url
from gtm import gtm_page
from test_snapshot import click_and_assert_delivered  # one click, sent once, byte for byte

_paths = itertools.count(1)
TAGS = "() => document.querySelectorAll('script[src$=\"tracker.js\"]').length"


def path() -> str:
    return f"/shop/gtm-{next(_paths)}.html"


def test_a_custom_html_tag_starts_the_tracker(page, page_log, site, collector, wait_ready):
    url = click_url(collector, "ad-gtm-1")
    page.goto(gtm_page(site, collector, ad_html(url, id="ad"), path=path()))
    wait_ready(page)

    assert page.evaluate(TAGS) == 1
    click_and_assert_delivered(page, page_log, collector, url)


def test_a_tag_fired_twice_runs_once_and_says_so(
    page, page_log, site, collector, wait_ready, grace
):
    """Two triggers (All Pages and Window Loaded) fire the same tag: one tracker."""
    url = click_url(collector, "ad-gtm-twice")
    page.goto(
        gtm_page(site, collector, ad_html(url, id="ad"), fires=("gtm.js", "gtm.load"), path=path())
    )
    wait_ready(page)
    page.wait_for_function(f"() => ({TAGS})() === 2")

    click_and_assert_delivered(page, page_log, collector, url)
    grace(page)
    assert len(collector.events()) == 1
    notes = [m.text for m in page_log.console if "ran again" in m.text]
    assert notes == [
        f"[adtracker] loader: tracker.js ran again ({site.url(MOUNT + 'tracker.js')}): "
        "ignored, the first copy runs"
    ] or notes == [
        f"[adtracker] boot: tracker.js ran again ({site.url(MOUNT + 'tracker.js')}): "
        "ignored, the first copy runs"
    ], notes


def test_attributes_set_just_after_insertion_are_read(page, page_log, site, collector, wait_ready):
    url = click_url(collector, "ad-gtm-late")
    page.goto(gtm_page(site, collector, ad_html(url, id="ad"), attributes_after=True, path=path()))
    wait_ready(page)

    click_and_assert_delivered(page, page_log, collector, url)


def test_a_copy_run_without_its_script_element_fails_clearly(page, page_log, site, collector):
    """Some tag managers fetch a script and evaluate its text (no document.currentScript):
    the tracker cannot find its attributes, says why, and leaves the page alone."""
    page.goto(site.add_page(path(), "<!doctype html><title>eval</title><p>shop</p>"))
    reason = page.evaluate(
        """async (src) => {
          const text = await (await fetch(src)).text();
          new Function(text)();
          try { await window.adTracker.ready; return "resolved"; }
          catch (err) { return String(err.message || err); }
        }""",
        MOUNT + "tracker.js",
    )
    assert reason == (
        "adtracker could not start: tracker.js must be loaded by a classic <script src=…> tag"
    )
    warned = [m.text for m in page_log.console if "could not start" in m.text]
    assert len(warned) == 1, page_log.console
