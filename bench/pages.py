"""The pages the benchmark loads, and the server that serves them like a CDN.

The tracker is measured as a black box, the way a storefront sees it: a page with the
documented ``<script async src=".../dist/tracker.js">`` tag, and ``adTracker.ready``.
Nothing here knows how the tracker boots (on the page, in a Worker, from a cache).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.serving import CountingServer, Network
from devserver import Collector

#: Where a harness page sends its figures (a GET the server logs; see ``Site.reports``).
REPORT_PATH = "/bench/report"

# Records long tasks, the WebAssembly memory the page instantiates and when
# adTracker.ready (or the bare page's own boot) settles; after a settle period it reports
# to REPORT_PATH and, on the first view, opens the second view of the same page. With
# ?stay=MS the first view instead opens the second MS after ready (the shopper moves on),
# reporting only its ready time, through a keepalive request that outlives the page.
HARNESS = """
(() => {
  const SETTLE_MS = __SETTLE_MS__;
  const tasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) tasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (_) {}
  const keep = (result, imports) => {
    const exp = result && (result.instance || result).exports;
    window.__wasmMemory = (exp && exp.memory) || (imports && imports.env && imports.env.memory) || window.__wasmMemory;
    return result;
  };
  const is = WebAssembly.instantiateStreaming, i = WebAssembly.instantiate;
  if (is) WebAssembly.instantiateStreaming = (s, imports) => is(s, imports).then((r) => keep(r, imports));
  WebAssembly.instantiate = (b, imports) => i(b, imports).then((r) => keep(r, imports));

  const params = new URLSearchParams(location.search);
  const view = Number(params.get("view") || "1");
  const stay = params.get("stay"); // null: stay until the tracker stored its snapshot
  const second = location.pathname + "?view=2" + (stay === null ? "" : "&stay=" + stay);
  const bootPath = () => {
    const marks = performance.getEntriesByType("mark");
    const restored = marks.find((m) => m.name === "adtracker:snapshot-restored");
    if (restored) return restored.detail;
    return marks.some((m) => m.name === "adtracker:normal-boot") ? "normal" : null;
  };
  const moveOn = (readyAt, error) => setTimeout(() => {
    const figures = { view, error: error || null, ready_ms: readyAt, boot_path: bootPath(), stay: Number(stay) };
    fetch("__REPORT__?d=" + encodeURIComponent(JSON.stringify(figures)), { cache: "no-store", keepalive: true });
    location.replace(second);
  }, Number(stay));
  const report = (readyAt, error) => view === 1 && stay !== null ? moveOn(readyAt, error) : setTimeout(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const end = (readyAt || performance.now()) + SETTLE_MS;
    const inWindow = tasks.filter(([s]) => s < end);
    const figures = {
      view, error: error || null,
      ready_ms: readyAt,
      load_ms: nav ? nav.loadEventStart : null,
      longest_task_ms: inWindow.reduce((m, [, d]) => Math.max(m, d), 0),
      tbt_ms: inWindow.reduce((t, [, d]) => t + Math.max(0, d - 50), 0),
      long_tasks: inWindow.length,
      long_tasks_before_load: tasks.filter(([s]) => nav && s < nav.loadEventStart).length,
      tasks: inWindow.map(([s, d]) => [Math.round(s), Math.round(d)]),
      wasm_memory_bytes: window.__wasmMemory ? window.__wasmMemory.buffer.byteLength : null,
      boot_path: bootPath(),
      cache_bytes: null,
    };
    cacheBytes().then((n) => { figures.cache_bytes = n; send(figures); });
  }, SETTLE_MS);
  // What the shopper keeps on disk: the bodies in the tracker's Cache Storage.
  const cacheBytes = async () => {
    try {
      if (!(await caches.has("adtracker-snapshot"))) return 0;
      const cache = await caches.open("adtracker-snapshot");
      let total = 0;
      for (const request of await cache.keys()) total += (await (await cache.match(request)).blob()).size;
      return total;
    } catch (_) {
      return null;
    }
  };
  const send = (figures) => {
    const url = "__REPORT__?d=" + encodeURIComponent(JSON.stringify(figures));
    // The second view is a returning shopper: open it once the tracker has said (by its
    // documented performance marks) that its cache work is over, at most 20 s later.
    const settled = () => performance.getEntriesByType("mark").some(
      (m) => /^adtracker:(snapshot-settled|normal-boot)$/.test(m.name));
    const next = (deadline) => (!window.adTracker || settled() || performance.now() > deadline)
      ? location.replace(second)
      : setTimeout(() => next(deadline), 50);
    fetch(url, { cache: "no-store" }).finally(() => {
      if (view === 1) next(performance.now() + 20000);
    });
  };
  window.__benchReady = (promise) => {
    promise.then(() => report(performance.now()), (e) => report(null, String(e && e.message || e)));
  };
  // The tracker's documented promise, as soon as its script has run (it is async).
  const poll = setInterval(() => {
    if (window.adTracker && window.adTracker.ready) {
      clearInterval(poll);
      window.__benchReady(window.adTracker.ready);
    }
  }, 5);
  window.__benchStopPoll = () => clearInterval(poll);
  setTimeout(() => {
    if (!window.adTracker) { clearInterval(poll); report(null, "window.adTracker never appeared"); }
  }, 120000);
})();
"""

# A bare loadPyodide() from the same dist, started at the load event like the tracker.
BARE = """
window.__benchStopPoll();
window.addEventListener("load", () => {
  const base = new URL("/dist/__RUNTIME__/", location).href;
  window.__benchReady(import(base + "pyodide.mjs").then((m) => m.loadPyodide({
    indexURL: base, packageBaseUrl: base, lockFileURL: base + "pyodide-lock.json", stdout: () => {},
  })));
});
"""

# The same storefront page without the tracker: "ready" is its load event.
PLAIN = """
window.__benchStopPoll();
window.__benchReady(new Promise((resolve) => window.addEventListener("load", () => resolve())));
"""

# A minimal JavaScript click handler making the same fetch: the click-cost baseline.
JS_CLICK_HANDLER = """
document.addEventListener("click", function (e) {
  var ad = e.target.closest && e.target.closest("[data-ad-click-url]"); if (!ad) return;
  fetch(ad.getAttribute("data-ad-click-url"), {method: "POST", keepalive: true,
    headers: {accept: "application/json", "content-type": "application/json"},
    body: JSON.stringify({user_id: "u", session_id: "s"})});
}, {capture: true, passive: true});
"""

STORE_CSS = """
body{margin:0;font:16px/1.4 system-ui,sans-serif;color:#222}
header,footer{background:#0b2545;color:#fff;padding:12px 24px}
nav a{color:#fff;margin-right:16px;text-decoration:none}
.hero{background:#eef4fb;padding:32px 24px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:16px;padding:24px}
.card{border:1px solid #ddd;border-radius:8px;padding:12px}
.card svg{width:100%;height:auto;display:block}
.price{font-weight:600}.badge{font-size:12px;color:#666}
"""


AD_EVENTS = ("click", "impression", "view")


def _tile(i: int, beacons: str | None) -> str:
    hue = (i * 47) % 360
    image = (
        f'<svg viewBox="0 0 160 120" role="img" aria-label="Product {i}" width="160" height="120">'
        f'<rect width="160" height="120" fill="hsl({hue} 60% 80%)"/>'
        f'<circle cx="80" cy="60" r="32" fill="hsl({hue} 60% 45%)"/></svg>'
    )
    attrs = (
        "".join(f' data-ad-{k}-url="{beacons}/{k}/store-{i}?pos={i}"' for k in AD_EVENTS)
        if beacons
        else ""
    )
    badge = '<span class="badge">Sponsored</span>' if beacons else ""
    return (
        f'<div class="card"{attrs}><a href="#p{i}">{image}<h3>Product {i}</h3></a>'
        f'{badge}<p class="price">R$ {19 + i * 7},90</p><button>Add to cart</button></div>'
    )


def store_body(collector: str, products: int = 24, sponsored: int = 4) -> str:
    """A storefront-like product listing: header, hero, a grid with sponsored tiles, footer."""
    tiles = "".join(
        _tile(i, f"{collector}/v1/beacon" if i < sponsored else None) for i in range(products)
    )
    return (
        '<header><nav><a href="#">Home</a><a href="#">Women</a><a href="#">Men</a>'
        '<a href="#">Sale</a></nav></header>'
        '<section class="hero"><h1>Summer collection</h1>'
        "<p>Free shipping on orders over R$ 199. Returns within 30 days.</p></section>"
        f'<main class="grid">{tiles}</main>'
        "<footer><p>© Bench Store. All prices in BRL.</p></footer>"
    )


def page(head: str, body: str = "", title: str = "bench") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="description" content="{title}"><title>{title}</title>{head}</head>'
        f"<body>{body}</body></html>"
    )


def _script(js: str) -> str:
    return f"<script>{js}</script>"


class Site:
    """The collector and the production-like dist server, with every bench page on it."""

    def __init__(
        self,
        dist: Path,
        clicks: int = 200,
        settle_ms: int = 2000,
        cache: str = "production",
        network: Network | None = None,
    ) -> None:
        """``cache``: how the dist is served (devserver.static.CACHE_MODES); the docs'
        advice by default. ``network``: the dist served as over that network."""
        self.collector = Collector().start()
        self.server = CountingServer(dist, mount="/dist/", cache=cache, network=network).start()
        c = self.collector.origin
        runtime = next(p.name for p in dist.glob("r-*") if p.is_dir())
        self.tag = f'<script async src="/dist/tracker.js" data-beacon-origins="{c}"></script>'
        css = f"<style>{STORE_CSS}</style>"
        harness = _script(
            HARNESS.replace("__SETTLE_MS__", str(settle_ms)).replace("__REPORT__", REPORT_PATH)
        )
        body = store_body(c)
        add = self.server.add_page
        add(REPORT_PATH, "ok")
        # Lighthouse: the same storefront page with and without the tag, no harness.
        add("/store/plain.html", page(css, body, "Bench Store"))
        add("/store/tracker.html", page(css + self.tag, body, "Bench Store"))
        add("/storage.html", page(self.tag))
        # Plain Chromium: the same pages with the harness first in <head>.
        add("/views/tracker.html", page(harness + css + self.tag, body, "Bench Store"))
        add("/views/plain.html", page(harness + css + _script(PLAIN), body, "Bench Store"))
        add("/views/bare.html", page(harness + _script(BARE.replace("__RUNTIME__", runtime))))
        ads = "".join(
            f'<div data-ad-click-url="{c}/v1/beacon/click/ad-{{impl}}-{i}?pos={i}">ad {i}</div>'
            for i in range(clicks)
        )
        add("/clicks/py.html", page(self.tag, ads.replace("{impl}", "py")))
        add("/clicks/js.html", page(_script(JS_CLICK_HANDLER), ads.replace("{impl}", "js")))

    def url(self, path: str) -> str:
        return self.server.url(path)

    def reports(self) -> list[dict[str, Any]]:
        """The figures harness pages sent so far, in order."""
        out = []
        for request in self.server.requests():
            parts = urlsplit(request.path)
            if parts.path == REPORT_PATH:
                out.append(json.loads(parse_qs(parts.query)["d"][0]))
        return out

    def close(self) -> None:
        self.server.stop()
        self.collector.stop()
