"""What real storefronts run beside the tracker: each case is a snippet a page carries
before tracker.js (``head``) or after it (``after``), shaped like the real thing.

The vendored ones (zone.js, core-js) are the real libraries, from web/node_modules
(devDependencies in web/package.json), served by the test's own static server under
``VENDOR_MOUNT``. The others are the smallest faithful copy of what the library does:
Sentry, Datadog RUM and New Relic wrap ``window.fetch`` and pass the call on; Prototype.js
1.6 defines ``Array.prototype.toJSON`` and ``String.prototype.toJSON`` (returning JSON
text, so ``JSON.stringify([1])`` is ``'"[1]"'``); a prototype-pollution bug sets enumerable
members on ``Object.prototype``; a router keeps the browser's own ``pushState`` from
before the tracker wrapped it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from e2e_helpers import REPO_ROOT

NODE_MODULES = REPO_ROOT / "web" / "node_modules"
VENDOR_MOUNT = "/vendor/"
#: web/node_modules files a case loads, by their path under VENDOR_MOUNT.
VENDORED: dict[str, Path] = {
    "zone/zone.umd.min.js": NODE_MODULES / "zone.js" / "bundles" / "zone.umd.min.js",
    "core-js/minified.js": NODE_MODULES / "core-js-bundle" / "minified.js",
}


def _script(code: str) -> str:
    return f"<script>{code}</script>\n"


def _vendored(name: str) -> str:
    return f'<script src="{VENDOR_MOUNT}{name}"></script>\n'


#: A monitoring agent's fetch wrapper: records each call, passes it on unchanged.
WRAP_FETCH = (
    "(function () { var original = window.fetch; window.__wrapperSaw = [];"
    "window.fetch = function (input, init) {"
    " window.__wrapperSaw.push(String(input && input.url || input));"
    " return original.apply(this, arguments).then(function (r) { return r; }); }; })();"
)
FETCH_WRAPPER = _script(WRAP_FETCH)
#: A wrapper that rebuilds the init and drops what it does not know (keepalive among it).
FETCH_WRAPPER_DROPPING_KEEPALIVE = _script(
    "(function () { var original = window.fetch; window.__wrapperSaw = [];"
    "window.fetch = function (input, init) {"
    " window.__wrapperSaw.push(String(input && input.url || input)); init = init || {};"
    " return original(input, {method: init.method, headers: init.headers, body: init.body,"
    " mode: init.mode, credentials: init.credentials, redirect: init.redirect,"
    " signal: init.signal}); }; })();"
)
#: Prototype.js 1.6's JSON methods.
PROTOTYPE_JS_TOJSON = _script(
    "Array.prototype.toJSON = function () { var out = [];"  # Object.toJSON skips elements
    " for (var i = 0; i < this.length; i++) { var v = this[i];"
    "  if (v === undefined || (v && v.nodeType === 1)) continue; out.push(JSON.stringify(v)); }"
    " return '[' + out.join(', ') + ']'; };"
    "String.prototype.toJSON = function () { return '\"' + this + '\"'; };"
)
#: Enumerable members on Object.prototype: what a prototype-pollution bug leaves, and
#: fetch init, listener option and Proxy trap names a careless reader would pick up.
OBJECT_PROTOTYPE_POLLUTION = _script(
    "Object.prototype.polluted = 'yes'; Object.prototype.extend = function () {};"
    "Object.prototype.referrerPolicy = 'unsafe-url';"
    "Object.prototype.priority = 'low'; Object.prototype.once = true;"
)
#: core-js's Promise, as an old browser gets it: the polyfill replaces a missing Promise.
CORE_JS_PROMISE = (
    _script("window.__nativePromise = window.Promise; delete window.Promise;")
    + _vendored("core-js/minified.js")
    + _script(
        "if (window.Promise === window.__nativePromise || !window.Promise)"
        " throw new Error('core-js did not install its Promise');"
    )
)
#: Angular's zone.js: patches Promise, timers, addEventListener, MutationObserver, fetch.
ZONE_JS = _vendored("zone/zone.umd.min.js") + _script(
    "if (!window.Zone) throw new Error('zone.js did not load');"
)
#: Other vendors' data filling localStorage to its quota (a 1 MB, then 1 KB, then 1 char).
FULL_LOCAL_STORAGE = _script(
    "(function () { var n = 0; [1 << 20, 1 << 10, 1].forEach(function (size) {"
    " var chunk = new Array(size + 1).join('x');"
    " for (;;) { try { localStorage.setItem('vendor:' + n, chunk); n++; } catch (e) { break; } }"
    " }); window.__storageFull = n; })();"
)


def after_tracker_js(code: str) -> str:
    """``code`` run at the page's load event: after the (async) tracker.js, which delays
    that event, and before the tracker starts Python (a task after it)."""
    return _script(f"window.addEventListener('load', function () {{ {code} }});")


@dataclass(frozen=True)
class OtherScript:
    head: str = ""  # before tracker.js
    after: str = ""  # after tracker.js (after_tracker_js), before Python starts
    #: True when the tracker should name a built-in it found already replaced.
    noted: bool = False


CASES: dict[str, OtherScript] = {
    "fetch-wrapper-before": OtherScript(head=FETCH_WRAPPER, noted=True),
    "fetch-wrapper-after": OtherScript(after=after_tracker_js(WRAP_FETCH)),
    "fetch-wrapper-drops-keepalive": OtherScript(head=FETCH_WRAPPER_DROPPING_KEEPALIVE, noted=True),
    "prototype-js-tojson": OtherScript(head=PROTOTYPE_JS_TOJSON),
    "object-prototype-pollution": OtherScript(head=OBJECT_PROTOTYPE_POLLUTION),
    "core-js-promise": OtherScript(head=CORE_JS_PROMISE),
    "zone-js": OtherScript(head=ZONE_JS),
    "full-local-storage": OtherScript(head=FULL_LOCAL_STORAGE),
}

#: A router that took the browser's own pushState before the tracker started and later
#: installs its own history.pushState around it: the tracker's wrapping is bypassed.
ROUTER_KEEPING_NATIVE_PUSHSTATE = _script(
    "window.__routerPush = History.prototype.pushState;"
    "window.__installRouter = function () {"
    " history.pushState = function (state, title, url) {"
    "  return window.__routerPush.call(history, state, title, url); }; };"
)
#: Hides the Navigation API (as in Safari before 26.2), so the tracker's fallback runs.
NO_NAVIGATION_API = _script(
    "Object.defineProperty(window, 'navigation', {value: undefined, configurable: true});"
)
