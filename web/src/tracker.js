/*! adtracker loader — starts the Python ad-event tracker (VTEX Ads) under self-hosted Pyodide.
 *
 * This file is deliberately tiny and takes no tracking decisions. It:
 *   1. finds its own base URL (everything else loads relative to it);
 *   2. records ad clicks made before Python is ready (URL and time) in localStorage
 *      ("adtracker:preboot"; in memory while consent is pending), so none is lost
 *      if the click navigates away;
 *   3. keeps adTracker.push([...]) commands, with their time, for Python to replay;
 *   4. after the page's load event, loads Pyodide and the tracker wheel from the
 *      same folder and hands over to Python (tracker.browser.boot.start);
 *   5. exposes window.adTracker.ready, which resolves when Python is live and
 *      rejects (handled: never an uncaught error) when it cannot start.
 * It never calls preventDefault and never throws into the page.
 */
(function () {
  "use strict";
  var w = window;
  var d = document;
  var PREBOOT_KEY = "adtracker:preboot";
  var MAX_PREBOOT = 50;
  var BOOT_TIMEOUT_MS = 60000;
  var WASM = "pyodide.asm.wasm";
  var script = d.currentScript;

  var api = w.adTracker;
  if (api && api.__adtracker) return; // already loaded on this page
  var pending = Array.isArray(api) ? api.slice() : []; // commands pushed before we ran
  if (!Array.isArray(api)) api = [];
  var loadedAt = Date.now();
  var queued = pending.map(function (c) { return { c: c, t: loadedAt }; });
  var settle = {};
  var ready = new Promise(function (resolve, reject) {
    settle.resolve = resolve;
    settle.reject = reject;
  });
  ready["catch"](function () {}); // a failed start is reported, never an unhandled rejection
  try {
    Object.defineProperty(api, "__adtracker", { value: true });
  } catch (_) {}
  api.ready = ready;
  api.push = function () {
    for (var i = 0; i < arguments.length; i++) queued.push({ c: arguments[i], t: Date.now() });
    return queued.length;
  };
  w.adTracker = api;

  var failed = false;
  function fail(reason) {
    if (failed) return;
    failed = true;
    try {
      console.warn("[adtracker] could not start: " + reason + " (ad clicks stay queued for a later page)");
    } catch (_) {}
    settle.reject(new Error("adtracker could not start: " + reason));
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
  var debug = "debug" in attrs && !/^(false|0|no|off)$/i.test(attrs.debug);
  var consent = String(attrs.consent || "granted").trim().toLowerCase();

  // Pre-boot capture: the same rule Python applies (nearest [data-ad-click-url]),
  // only recorded with its time; Python decides what to send.
  var memoryQueue = [];
  function record(e) {
    try {
      if (consent === "denied") return;
      if (e.type === "auxclick" && e.button !== 1) return;
      var t = e.target;
      if (t && t.nodeType !== 1) t = t.parentElement;
      var ad = t && t.closest ? t.closest("[data-ad-click-url]") : null;
      if (!ad) return;
      var item = { u: ad.getAttribute("data-ad-click-url"), t: Date.now() };
      try {
        if (consent === "pending") throw 0; // nothing is stored before consent
        var list = JSON.parse(w.localStorage.getItem(PREBOOT_KEY) || "[]");
        if (!Array.isArray(list)) list = [];
        list.push(item);
        w.localStorage.setItem(PREBOOT_KEY, JSON.stringify(list.slice(-MAX_PREBOOT)));
      } catch (_) {
        memoryQueue.push(item); // storage blocked or consent pending: keep it for this page
        if (memoryQueue.length > MAX_PREBOOT) memoryQueue.shift();
      }
    } catch (_) {}
  }
  var listenerOptions = { capture: true, passive: true };
  d.addEventListener("click", record, listenerOptions);
  d.addEventListener("auxclick", record, listenerOptions);

  function noop() {}

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

  var handedOver = false;
  function boot() {
    mark("boot");
    var blocked = wasmBlocked();
    if (blocked) return fail(blocked);
    watchWasm();
    import(base + "pyodide.mjs")
      .then(function (m) {
        return m.loadPyodide({
          indexURL: base,
          packageBaseUrl: base,
          lockFileURL: base + "pyodide-lock.json",
          stdout: noop,
        });
      })
      .then(function (py) {
        return py
          .loadPackage("tracker", {
            messageCallback: debug ? function (m) { console.debug("[adtracker] " + m); } : noop,
            errorCallback: function (m) { console.warn("[adtracker] " + m); },
            checkIntegrity: true,
          })
          .then(function () {
            return py;
          });
      })
      .then(function (py) {
        if (failed) return; // declared dead meanwhile: leave the page alone
        // Synchronous hand-over: Python attaches its listener, then ours goes, in one task.
        var boot = py.pyimport("tracker.browser.boot");
        var toPy = function (v) { return py.toPy(v, { depth: 8 }); };
        boot.start_from_loader(toPy(attrs), toPy(memoryQueue), toPy(queued));
        d.removeEventListener("click", record, listenerOptions);
        d.removeEventListener("auxclick", record, listenerOptions);
        handedOver = true;
        mark("ready");
        api.push = function () {
          for (var i = 0; i < arguments.length; i++) {
            try {
              boot.run_command(toPy(arguments[i]), Date.now());
            } catch (err) {
              console.error("[adtracker] bad command: " + ((err && err.message) || err));
            }
          }
          return 0;
        };
        settle.resolve(api);
      })
      ["catch"](function (err) {
        fail((err && err.message) || String(err));
      });
  }

  // Boot after the page's load event so the host page never waits for us.
  if (d.readyState === "complete") setTimeout(boot, 0);
  else w.addEventListener("load", function () { setTimeout(boot, 0); }, { once: true });
})();
