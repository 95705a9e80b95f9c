"""A storefront page that loads the tracker the way Google Tag Manager's Custom HTML tag
does, with no network to Google: GTM's own page snippet, and a local container script
that behaves like GTM's for one Custom HTML tag.

GTM's snippet pushes ``{event: "gtm.js"}`` to ``dataLayer`` and inserts the container
script (async). The container reads ``dataLayer`` and wraps its ``push``; on each event
its triggers name (``gtm.js`` for "All Pages", ``gtm.dom`` for "DOM Ready", ``gtm.load``
for "Window Loaded") it injects the tag: as GTM does for a ``<script>`` in Custom HTML,
it creates a new script element from script, sets its ``src``, copies the tag's other
attributes onto it (or, ``attributes_after``, sets them just after inserting it: the
script runs only once fetched) and appends it to ``<body>``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence

from e2e_helpers import DEFAULT_ATTRS, MOUNT

from devserver import Collector, StaticServer

CONTAINER_PATH = "/gtm/gtm.js"

# GTM's page snippet, as Tag Manager gives it (the container URL made local).
SNIPPET = """<script>(function(w,d,s,l,i){w[l]=w[l]||[];w[l].push({'gtm.start':
new Date().getTime(),event:'gtm.js'});var f=d.getElementsByTagName(s)[0],
j=d.createElement(s),dl=l!='dataLayer'?'&l='+l:'';j.async=true;j.src=
'__CONTAINER__?id='+i+dl;f.parentNode.insertBefore(j,f);
})(window,document,'script','dataLayer','GTM-E2E');</script>"""

CONTAINER = """(function () {
  var tag = __TAG__;
  var dl = (window.dataLayer = window.dataLayer || []);
  function inject() {
    var s = document.createElement("script");
    s.src = tag.src;
    s.async = true;
    var names = Object.keys(tag.attributes);
    if (!tag.after) names.forEach(function (n) { s.setAttribute(n, tag.attributes[n]); });
    document.body.appendChild(s);
    if (tag.after) names.forEach(function (n) { s.setAttribute(n, tag.attributes[n]); });
  }
  function handle(message) {
    if (message && tag.fires.indexOf(message.event) >= 0) inject();
  }
  var push = dl.push;
  dl.push = function () {
    var out = push.apply(dl, arguments);
    for (var i = 0; i < arguments.length; i++) handle(arguments[i]);
    return out;
  };
  dl.slice().forEach(handle);
  function domReady() { dl.push({ event: "gtm.dom" }); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", domReady);
  else domReady();
  if (document.readyState === "complete") dl.push({ event: "gtm.load" });
  else window.addEventListener("load", function () { dl.push({ event: "gtm.load" }); });
})();
"""


def gtm_page(
    site: StaticServer,
    collector: Collector,
    body_html: str,
    *,
    fires: Sequence[str] = ("gtm.js",),
    attributes_after: bool = False,
    attrs: Mapping[str, str | None] | None = None,
    path: str,
    head_html: str = "",
) -> str:
    """Add a page whose only way to the tracker is the GTM-like container; return its URL.
    ``fires``: the dataLayer events that fire the tag (twice the same tag if two)."""
    merged = {"data-beacon-origins": collector.origin, **DEFAULT_ATTRS, **(attrs or {})}
    tag = {
        "src": MOUNT + "tracker.js",
        "attributes": {k: v for k, v in merged.items() if v is not None},
        "fires": list(fires),
        "after": attributes_after,
    }
    container = CONTAINER.replace("__TAG__", json.dumps(tag))
    site.add_page(CONTAINER_PATH, container, {"Content-Type": "text/javascript"})
    snippet = SNIPPET.replace("__CONTAINER__", CONTAINER_PATH)
    return site.add_page(
        path,
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape('GTM shop page')}</title>\n{head_html}{snippet}\n</head>\n"
        f"<body>\n{body_html}\n</body></html>\n",
    )
