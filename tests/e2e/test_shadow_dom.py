"""Ads inside web components (open shadow roots), end to end in headless Chromium.

Storefronts render product cards as custom elements (Lit, Stencil) whose markup sits in
an open shadow root: ``document.querySelectorAll`` and a MutationObserver on
``document`` do not see into it, and a click inside it reaches ``document`` retargeted
to the host. Each test asserts exact counts at the collector: clicks, impressions and
views of ads in shadow roots present at load, attached later, nested, and clicked
before Python is ready.
"""

from __future__ import annotations

import time
from typing import Any

from e2e_helpers import (
    AD_CARD,
    SLOW_HERO,
    goto_still_loading,
    hold_requests,
    path_of,
    release,
)

#: A banner-sized ad: 300 × 100 px, in the viewport from load (1280 × 720).
BOX = "display:block;width:300px;height:100px;background:#eee"


def beacon(collector: Any, kind: str, ad_id: str) -> str:
    return collector.url(f"/v1/beacon/{kind}/{ad_id}?pos=1")


def received(collector: Any, url: str) -> list[Any]:
    return [e for e in collector.events() if e.path == path_of(url)]


def wait_received(collector: Any, url: str, timeout: float = 15.0) -> list[Any]:
    """Poll (bounded) until a POST for ``url`` arrived; return all of them."""
    deadline = time.monotonic() + timeout
    while not received(collector, url) and time.monotonic() < deadline:
        time.sleep(0.05)
    return received(collector, url)


def card(click: str | None = None, impression: str | None = None, view: str | None = None) -> str:
    attrs = {"click": click, "impression": impression, "view": view}
    rendered = " ".join(f'{k}="{v}"' for k, v in attrs.items() if v is not None)
    return f"<ad-card {rendered}></ad-card>"


def assert_exactly(collector: Any, expected: dict[str, str]) -> None:
    """One accepted POST for each URL in ``expected`` (kind → URL), and nothing else."""
    events = collector.events()
    assert sorted(e.path for e in events) == sorted(path_of(u) for u in expected.values()), events
    assert {e.kind: e.path for e in events} == {k: path_of(u) for k, u in expected.items()}
    assert all(e.status == 202 and e.errors == [] for e in events), events


def test_ad_in_open_shadow_root_at_load_gets_impression_and_click(
    page, page_log, site, collector, make_page, wait_ready, grace
):
    """An ad rendered into a web component's open shadow root: one impression, one click."""
    urls = {
        "click": beacon(collector, "click", "ad-wc"),
        "impression": beacon(collector, "impression", "ad-wc"),
    }
    page.goto(make_page(site, collector, AD_CARD + card(**urls)))
    wait_ready(page)

    assert len(wait_received(collector, urls["impression"])) == 1
    assert page.evaluate("() => document.querySelector('[data-ad-click-url]')") is None
    page.click("ad-card #label")  # Playwright's CSS pierces open shadow roots

    assert len(wait_received(collector, urls["click"])) == 1
    page_log.wait_outcome(page, "delivered", url=urls["click"])
    grace(page)
    assert_exactly(collector, urls)


LATE_CARD = """([urls, box]) => {
  // Defined only now: the <late-card> already in the page upgrades, attaches an open
  // shadow root, and renders into it a little later (as frameworks render async).
  customElements.define("late-card", class extends HTMLElement {
    constructor() { super(); this.attachShadow({mode: "open"}); }
    connectedCallback() {
      setTimeout(() => {
        this.shadowRoot.innerHTML = `<div id="banner" style="${box}"
          data-ad-impression-url="${urls.impression}" data-ad-view-url="${urls.view}">banner</div>`;
      }, 100);
    }
  });
  // And a host created with its shadow root before it is inserted.
  const host = document.createElement("div");
  host.attachShadow({mode: "open"}).innerHTML =
    `<div style="${box}" data-ad-impression-url="${urls.inserted}">inserted</div>`;
  document.body.prepend(host);
  return Date.now();
}"""


def test_shadow_roots_attached_after_load_get_impressions_and_a_view(
    page, page_log, site, collector, make_page, wait_ready, grace
):
    """A custom element upgraded after boot and a host inserted after boot: their ads are
    found; the banner gets one impression and one view (after one full second)."""
    urls = {
        "impression": beacon(collector, "impression", "ad-late"),
        "view": beacon(collector, "view", "ad-late"),
        "inserted": beacon(collector, "impression", "ad-inserted"),
    }
    page.goto(make_page(site, collector, "<late-card></late-card>"))
    wait_ready(page)
    grace(page, 500)
    assert collector.events() == []

    defined_at = page.evaluate(LATE_CARD, [urls, BOX]) / 1000.0

    assert len(wait_received(collector, urls["inserted"])) == 1
    assert len(wait_received(collector, urls["impression"])) == 1
    views = wait_received(collector, urls["view"])
    assert len(views) == 1, views
    assert views[0].received_at - defined_at >= 1.0
    page_log.wait_outcome(page, "delivered", url=urls["view"])
    grace(page)
    events = collector.events()
    assert sorted(e.path for e in events) == sorted(path_of(u) for u in urls.values()), events
    assert all(e.status == 202 and e.errors == [] for e in events), events


def test_click_before_ready_inside_shadow_root_is_delivered(
    page, site, collector, make_page, wait_ready, grace
):
    """The loader's pre-boot listener sees through the shadow root too."""
    url = beacon(collector, "click", "ad-early-wc")
    held = hold_requests(page, SLOW_HERO)
    body = f'<img src="{SLOW_HERO}" alt="">' + AD_CARD + card(click=url)
    goto_still_loading(page, make_page(site, collector, body))

    page.click("ad-card #label")
    recorded = page.evaluate(
        "() => JSON.parse(localStorage.getItem('adtracker:preboot') || '[]').map((c) => c.u)"
    )
    assert recorded == [url]  # by the loader: Python starts only after the load event

    assert len(wait_received(collector, url)) == 1  # sent by the loader: the boot is held
    release(page, held, SLOW_HERO)
    wait_ready(page)
    grace(page)
    assert_exactly(collector, {"click": url})


NESTED = """
<outer-shell>
  <template shadowrootmode="open">
    <p>outer</p>
    <inner-card>
      <template shadowrootmode="open">
        <a id="deep" href="#deep" style="{box}" data-ad-click-url="{click}"
           data-ad-impression-url="{impression}"><b id="deep-label">deep ad</b></a>
      </template>
    </inner-card>
  </template>
</outer-shell>
<slot-card>
  <template shadowrootmode="open">
    <a href="#slotted" style="display:block" data-ad-click-url="{slotted}"><slot></slot></a>
  </template>
  <span id="slotted-label">light DOM content, slotted into the ad</span>
</slot-card>
"""


def test_nested_shadow_roots_and_slotted_content(
    page, page_log, site, collector, make_page, wait_ready, grace
):
    """An ad two shadow roots deep (declarative shadow DOM): impression and click. A click
    on light-DOM content slotted into an ad inside a shadow root counts for that ad."""
    urls = {
        "click": beacon(collector, "click", "ad-deep"),
        "impression": beacon(collector, "impression", "ad-deep"),
    }
    slotted = beacon(collector, "click", "ad-slotted")
    page.goto(make_page(site, collector, NESTED.format(box=BOX, slotted=slotted, **urls)))
    wait_ready(page)

    assert len(wait_received(collector, urls["impression"])) == 1
    page.click("#deep-label")
    page.click("#slotted-label")

    assert len(wait_received(collector, urls["click"])) == 1
    assert len(wait_received(collector, slotted)) == 1
    page_log.wait_outcome(page, "delivered", url=slotted)
    grace(page)
    events = collector.events()
    expected = [*urls.values(), slotted]
    assert sorted(e.path for e in events) == sorted(path_of(u) for u in expected), events
    assert all(e.status == 202 and e.errors == [] for e in events), events


CLOSED_CARD = """<script>
// A component with a CLOSED shadow root: invisible to the tracker, so it reports its
// own ad events through the command queue, as the README says.
window.adTracker = window.adTracker || [];
customElements.define("closed-card", class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({mode: "closed"});
    const ad = document.createElement("a");
    ad.href = "#closed";
    ad.textContent = "closed ad";
    ad.setAttribute("data-ad-click-url", this.getAttribute("click"));
    ad.setAttribute("data-ad-impression-url", this.getAttribute("impression"));
    ad.addEventListener("click", () => adTracker.push(["click", this.getAttribute("pushed")]));
    root.appendChild(ad);
    adTracker.push(["impression", this.getAttribute("pushed-impression")]);
  }
});
</script>"""


def test_closed_shadow_root_is_not_seen_and_the_command_queue_reports_instead(
    page, page_log, site, collector, make_page, wait_ready, grace
):
    """Markup inside a closed shadow root sends nothing; the component's pushes do."""
    hidden = {"click": beacon(collector, "click", "ad-hidden")}
    hidden["impression"] = beacon(collector, "impression", "ad-hidden")
    pushed = {"click": beacon(collector, "click", "ad-pushed")}
    pushed["impression"] = beacon(collector, "impression", "ad-pushed")
    host = (
        f'<closed-card click="{hidden["click"]}" impression="{hidden["impression"]}"'
        f' pushed="{pushed["click"]}" pushed-impression="{pushed["impression"]}"></closed-card>'
    )
    page.goto(make_page(site, collector, CLOSED_CARD + host))
    wait_ready(page)

    assert len(wait_received(collector, pushed["impression"])) == 1
    page.click("closed-card")
    assert len(wait_received(collector, pushed["click"])) == 1
    page_log.wait_outcome(page, "delivered", url=pushed["click"])
    grace(page)
    assert_exactly(collector, pushed)
