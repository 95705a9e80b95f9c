/*! adtracker __ADTRACKER_VERSION__ loader — starts the Python ad-event tracker (VTEX Ads) under self-hosted Pyodide.
 *
 * This file is deliberately small and takes no tracking decision of its own (where it
 * sends a click itself, it applies Python's rules, pinned to them by tests). It:
 *   1. finds its own base URL (everything else loads relative to it);
 *   2. records what the shopper meets before Python is ready, as raw observations
 *      (preboot.js, observe.js): ad clicks (URL and time; one on a page that stays is
 *      sent at once under Python's rules, click.js), and for each ad in the
 *      viewport when it was painted there and how its visible share changed. They go to
 *      localStorage ("adtracker:preboot"; in memory while consent is pending, by
 *      data-consent or by the consent platform data-consent-from names), so a page left
 *      before ready loses none: Python applies the rules, here or on the next page;
 *   3. keeps adTracker.push([...]) commands, with their time, for Python to replay,
 *      and (with data-vtex-events) VTEX's own storefront messages, in memory only;
 *   4. after the page's load event, imports boot.mjs from the content-hashed runtime
 *      folder beside it, which starts Python off the main thread (a Worker and a memory
 *      snapshot; the ordinary boot as the fallback), and hands the script tag's raw
 *      attributes and the queues over to Python (adtracker.browser.boot.start_from_loader);
 *   5. exposes window.adTracker.ready, which resolves when Python is live and
 *      rejects (handled: never an uncaught error) when it cannot start.
 * It never calls preventDefault and never throws into the page.
 */
(function () {
  "use strict";
  var w = window;
  var d = document;
  // Python's names and bounds for what the loader observes (buildtools/loader.py fills
  // them in from adtracker/: the ad attributes, the view ratio, the pre-boot queue's key).
  var V = __ADTRACKER_VOCABULARY__;
  var BOOT_TIMEOUT_MS = 60000;
  var WASM = "pyodide.asm.wasm";
  var script = d.currentScript;

  var api = w.adTracker;
  // Already loaded on this page (a tag manager firing twice): the first copy runs, and says so.
  if (api && api.__adtracker) {
    try { api.__loadedAgain(script && script.src); } catch (_) {}
    return;
  }
  var pending = Array.isArray(api) ? api.slice() : []; // commands pushed before we ran
  if (!Array.isArray(api)) api = [];
  var loadedAt = Date.now();
  var queued = pending.map(function (c) { return { c: c, t: loadedAt }; });
  var handedOver = false; // true once Python owns clicks and commands
  var loaderNotes = [], noteToPy = null; // for Python's debug log (noteToPy after the hand-over)
  var failed = false;

  // A promise with its settle functions (as Pyodide's src/js/common/resolveable.ts).
  function Deferred() {
    var self = this;
    this.promise = new Promise(function (resolve, reject) { self.resolve = resolve; self.reject = reject; });
  }
  var ready = new Deferred();

  /* __ADTRACKER_PART__ builtins.js */
  var captured = captureBuiltins(w, loaderNotes);
  ready.promise["catch"](function () {}); // a failed start is reported, never an unhandled rejection
  try {
    Object.defineProperty(api, "__adtracker", { value: true });
    Object.defineProperty(api, "__loadedAgain", { value: function (src) {
      var note = "tracker.js ran again (" + src + "): ignored, the first copy runs";
      noteToPy ? noteToPy(note) : loaderNotes.push(note);
    } });
  } catch (_) {}
  api.ready = ready.promise;
  api.version = "__ADTRACKER_VERSION__"; // stamped by build.py from adtracker/__init__.py
  // push returns how many commands wait for Python: the queue's length before the
  // hand-over, 0 after it (each command then runs at once).
  api.push = function () {
    for (var i = 0; i < arguments.length; i++) queued.push({ c: arguments[i], t: Date.now() });
    return queued.length;
  };
  w.adTracker = api;

  function fail(reason) {
    if (failed) return;
    failed = true;
    try {
      console.warn("[adtracker] could not start: " + reason + " (what it saw stays queued for a later page)");
    } catch (_) {}
    // What was seen so far is stored for the store's next page; the loader goes on
    // recording (its pagehide ends this page's records).
    try { queue.flush(); } catch (_) {}
    ready.reject(new Error("adtracker could not start: " + reason));
  }

  if (!script || !script.src) {
    fail("tracker.js must be loaded by a classic <script src=…> tag");
    return;
  }
  // Pyodide, the wheels and the lock file sit in a content-hashed folder beside this
  // file (build.py fills the name in), so they can be cached forever.
  var base = new URL("__ADTRACKER_RUNTIME__", new URL(".", script.src)).href;
  var attrs = {};
  for (var i = 0; i < script.attributes.length; i++) {
    var a = script.attributes[i];
    if (a.name.indexOf("data-") === 0) attrs[a.name.slice(5)] = a.value;
  }
  // Python parses every attribute (adtracker/config.py). The loader only needs to know,
  // before Python runs, whether it may store a pre-boot click: this is Python's consent
  // rule (trimmed, lower-cased; anything else means the default, "granted"), pinned to
  // it by tests/unit/test_loader_rules.py.
  var consent = String(attrs.consent || "granted").trim().toLowerCase();

  // data-consent-from: the store's consent platform decides, as in Python (consent.js).
  // Until it is known, nothing pre-boot is stored.
  var consentFrom = String(attrs["consent-from"] || "").trim().toLowerCase();
  var fromPlatform = consentFrom === "gcm" || consentFrom === "tcf";
  /* __ADTRACKER_PART__ consent.js */
  var consents = consentWatch(w, consentFrom, consent);

  /* __ADTRACKER_PART__ preboot.js */
  var queue = prebootQueue(captured, V, consents.now);
  // A pre-boot click on a page that stays is sent at once (click.js), when the loader
  // knows what Python would send; else Python sends it once ready (or the next page's).
  /* __ADTRACKER_PART__ click.js */
  var sender = prebootSender(w, captured, V, attrs, queue, consents.now, function () {
    return !handedOver && queued.every(function (q) { return loaderMayIgnore(q.c); });
  });
  // Pre-boot clicks: the same rule Python applies (nearest ad on the event's composed
  // path, tests/unit/test_loader_pins.py), only recorded with its time.
  function record(e) {
    try {
      if (e.type === "auxclick" && e.button !== 1) return;
      // composedPath(), not the target's ancestors: inside a web component the target seen
      // at document level is the host; the path goes through open shadow roots.
      var path = e.composedPath ? e.composedPath() : [e.target];
      for (var i = 0; i < path.length; i++) {
        var n = path[i];
        if (n && n.nodeType === 1 && n.matches(V.clickSelector)) {
          var item = queue.click(n.getAttribute(V.clickAttr));
          if (item && sender) sender.send(item);
          return;
        }
      }
    } catch (_) {}
  }
  var listenerOptions = Object.assign(Object.create(null), { capture: true, passive: true }); // nothing inherited
  d.addEventListener("click", record, listenerOptions);
  d.addEventListener("auxclick", record, listenerOptions);
  // Pre-boot ads (observe.js): not at all when the page denies consent by its attribute.
  /* __ADTRACKER_PART__ observe.js */
  var observer = !fromPlatform && consent === "denied" ? null : observeAds(w, d, V, queue);
  function pageHide() { try { queue.end(Date.now()); } catch (_) {} }
  function pageShow(e) { // back from the bfcache before ready: a new page view
    try { if (e.persisted) { queue.newPage(); if (observer) observer.reset(); } } catch (_) {}
  }
  w.addEventListener("pagehide", pageHide);
  w.addEventListener("pageshow", pageShow);

  // --- data-vtex-events: VTEX storefront events posted before Python starts -----------
  // vtex:orderPlaced fires right after load, before Pyodide is up. VTEX's messages are
  // kept IN MEMORY ONLY (they carry the shopper's raw e-mail and phone: never
  // localStorage), under Python's rule (adtracker/browser/platform_events.py): only the
  // page's own window and origin may speak. Python decides what they mean.
  var VTEX_EVENTS = ["vtex:orderPlaced", "vtex:orderPlacedTracked", "vtex:userData"];
  var MAX_VTEX_MESSAGES = 50;
  var vtexMessages = []; // {d: data, t: ms} from the page; {e: name, o: origin, t} foreign
  function recordVtex(e) {
    try {
      var data = e.data;
      var name = data && typeof data === "object" ? data.eventName : null;
      if (VTEX_EVENTS.indexOf(name) < 0) return;
      var own = e.source === w && e.origin === w.location.origin;
      vtexMessages.push(own ? { d: data, t: Date.now() } : { e: name, o: String(e.origin), t: Date.now() });
      if (vtexMessages.length > MAX_VTEX_MESSAGES) vtexMessages.shift();
    } catch (_) {}
  }
  // Python alone parses the attribute's value; recording whenever it is present is safe
  // (memory only, for this page) and Python drops the messages when it is off. With
  // data-user-id-from="vtex" the user id comes from vtex:userData: recorded too (Python's
  // place rule, adtracker/ids/places.py; tests/unit/test_loader_rules.py pins the two).
  var vtexUser = /^\s*vtex\s*(:\s*)?$/i.test(attrs["user-id-from"] || "");
  if (("vtex-events" in attrs || vtexUser) && (fromPlatform || consent !== "denied")) {
    w.addEventListener("message", recordVtex);
  }

  function wasmBlocked() {
    if (typeof WebAssembly !== "object") return "this browser has no WebAssembly";
    try {
      // Instantiate too: WebKit compiles under a CSP without 'wasm-unsafe-eval' and
      // refuses only the instance (Pyodide would then wait forever).
      new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])));
      return "";
    } catch (err) {
      return "WebAssembly is blocked; the Content-Security-Policy needs 'wasm-unsafe-eval' in script-src (" +
        ((err && err.message) || err) + ")";
    }
  }

  // Pyodide waits forever when its .wasm cannot be fetched; watch for that instead.
  function watchWasm() {
    var started = Date.now();
    var timer = setInterval(function () {
      if (failed || handedOver) return clearInterval(timer);
      try {
        var entries = performance.getEntriesByName(base + WASM);
        var e = entries[entries.length - 1];
        if (e && e.responseStatus >= 400) {
          clearInterval(timer);
          return fail(WASM + " answered HTTP " + e.responseStatus);
        }
      } catch (_) {}
      if (Date.now() - started > BOOT_TIMEOUT_MS) {
        clearInterval(timer);
        fail("Pyodide did not start within " + BOOT_TIMEOUT_MS / 1000 + " s");
      }
    }, 250);
  }

  function mark(name) {
    try { performance.mark("adtracker:" + name); } catch (_) {}
  }

  // Python takes over in one task: it attaches its click listener, ours goes, and
  // commands run in Python from then on. `started` is boot.mjs's {py, notes}.
  function handOver(started) {
    if (failed) return; // declared dead meanwhile: leave the page alone
    var py = started.py;
    var entry = py.pyimport("adtracker.browser.boot");
    var toPy = function (v) { return py.toPy(v, { depth: 8 }); };
    entry.start_from_loader(
      toPy(attrs), toPy(queue.items()), toPy(queued), toPy(vtexMessages),
      toPy((started.notes || []).concat(loaderNotes)), captured,
      // The QA overlay's drawing (data-debug="overlay"): imported only if Python asks.
      function () { return import(base + "overlay.mjs"); }
    );
    if (observer) observer.stop(); // Python watches the ads now, and has this page's records
    queue.release();
    w.removeEventListener("pagehide", pageHide);
    w.removeEventListener("pageshow", pageShow);
    noteToPy = function (note) { try { entry.loader_note(note); } catch (_) {} };
    w.removeEventListener("message", recordVtex);
    consents.stop();
    d.removeEventListener("click", record, listenerOptions);
    d.removeEventListener("auxclick", record, listenerOptions);
    handedOver = true;
    queued = [];
    mark("ready");
    api.push = function () {
      for (var i = 0; i < arguments.length; i++) {
        try {
          entry.run_command(toPy(arguments[i]), Date.now());
        } catch (err) {
          console.error("[adtracker] bad command: " + ((err && err.message) || err));
        }
      }
      return 0;
    };
    ready.resolve(api);
  }

  function bootPython() {
    mark("boot");
    var blocked = wasmBlocked();
    if (blocked) return fail(blocked);
    watchWasm();
    import(base + "boot.mjs")
      .then(function (m) {
        // w.__adtrackerTestFaults: fault injection for the e2e tests; unset in production.
        return m.startPython({ faults: w.__adtrackerTestFaults || "" });
      })
      .then(handOver)
      ["catch"](function (err) {
        fail((err && err.message) || String(err));
      });
  }

  // Boot after the page's load event so the host page never waits for us.
  if (d.readyState === "complete") setTimeout(bootPython, 0);
  else w.addEventListener("load", function () { setTimeout(bootPython, 0); }, { once: true });
})();
