/*! adtracker loader — starts the Python ad-event tracker (VTEX Ads) under self-hosted Pyodide.
 *
 * This file is deliberately tiny and takes no tracking decisions. It:
 *   1. finds its own base URL (everything else loads relative to it);
 *   2. records ad clicks made before Python is ready in localStorage
 *      ("adtracker:preboot"), so none is lost if the click navigates away;
 *   3. after the page's load event, loads Pyodide and the tracker wheel from the
 *      same folder and hands over to Python (tracker.browser.boot.start);
 *   4. exposes window.adTracker.ready, which resolves when Python is live and
 *      rejects (handled, never an uncaught error) if it cannot start.
 * It never calls preventDefault and never throws into the page.
 */
(function () {
  "use strict";
  var w = window;
  var d = document;
  var PREBOOT_KEY = "adtracker:preboot";
  var MAX_PREBOOT = 50;
  var script = d.currentScript;

  var api = w.adTracker;
  if (api && api.__adtracker) return; // already loaded on this page
  if (!Array.isArray(api)) api = []; // keep commands a host pushed before we ran
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
  w.adTracker = api;

  function fail(reason) {
    var err = new Error("adtracker could not start: " + reason);
    try {
      console.warn("[adtracker] " + err.message + " (clicks stay queued for a later page)");
    } catch (_) {}
    settle.reject(err);
  }

  if (!script || !script.src) {
    fail("tracker.js must be loaded by a classic <script src=…> tag");
    return;
  }
  var base = new URL(".", script.src).href;
  var attrs = {};
  for (var i = 0; i < script.attributes.length; i++) {
    var a = script.attributes[i];
    if (a.name.indexOf("data-") === 0) attrs[a.name.slice(5)] = a.value;
  }
  var debug = "debug" in attrs && !/^(false|0|no|off)$/i.test(attrs.debug);

  // Pre-boot capture: the same rule Python applies (nearest [data-ad-click-url]),
  // but only recorded, with its time; Python decides what to send.
  var memoryQueue = [];
  function record(e) {
    try {
      if (e.type === "auxclick" && e.button !== 1) return;
      var t = e.target;
      if (t && t.nodeType !== 1) t = t.parentElement;
      var ad = t && t.closest ? t.closest("[data-ad-click-url]") : null;
      if (!ad) return;
      var item = { u: ad.getAttribute("data-ad-click-url"), t: Date.now() };
      try {
        var list = JSON.parse(w.localStorage.getItem(PREBOOT_KEY) || "[]");
        if (!Array.isArray(list)) list = [];
        list.push(item);
        w.localStorage.setItem(PREBOOT_KEY, JSON.stringify(list.slice(-MAX_PREBOOT)));
      } catch (_) {
        memoryQueue.push(item); // storage blocked: keep it for Python on this page
        if (memoryQueue.length > MAX_PREBOOT) memoryQueue.shift();
      }
    } catch (_) {}
  }
  var listenerOptions = { capture: true, passive: true };
  d.addEventListener("click", record, listenerOptions);
  d.addEventListener("auxclick", record, listenerOptions);

  function noop() {}

  function boot() {
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
        // Synchronous hand-over: Python attaches its listener, then ours goes, in one task.
        py.pyimport("tracker.browser.boot").start(attrs, memoryQueue);
        d.removeEventListener("click", record, listenerOptions);
        d.removeEventListener("auxclick", record, listenerOptions);
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
