/* The loader's ad observer: until Python is ready it records what the page shows of each
 * ad, as raw observations that Python turns into impressions and views under its own rules
 * (adtracker/events/preboot_ads.py). For an element with an impression or a view URL
 * (V.watchedSelector, in the document and its open shadow roots) that entered the
 * viewport: p, when it was first in the viewport and painted (the facts of the impression
 * rule); o, each change of its visible ratio (thresholds 0, V.viewRatio, 1) or of the
 * page's visibility; e, when the page ended (queue.end). While an ad is in the viewport
 * of a visible page, the queue is written every V.writeSeconds: its time (s) vouches
 * that nothing changed until then, for a page that goes without a pagehide that lands
 * (WebKit's often do). It decides nothing. build.py inlines this file into tracker.js;
 * what it observes by is Python's (V). */
function observeAds(w, d, V, queue) {
  var IO = w.IntersectionObserver, MO = w.MutationObserver;
  var nothing = { stop: function () {}, reset: function () {} };
  if (typeof IO !== "function" || !d.querySelectorAll) return nothing;
  var watched = new WeakMap(); // element -> {el, rec, ratio, inView}
  var seen = [], observedRoots = new WeakSet();
  var scanTimer = null, paintTimer = null, beatTimer = null;
  var io = new IO(onEntries, { threshold: [0, V.viewRatio, 1] });
  var options = { childList: true, subtree: true, attributes: true, attributeFilter: [V.impressionAttr, V.viewAttr] };
  var mo = typeof MO === "function" ? new MO(scanSoon) : null;
  function visible() { return d.visibilityState !== "hidden"; }
  function attr(el, name) { var v = el.getAttribute(name); return v == null ? null : v; }
  // Python's painted() (adtracker/browser/ads.py): rendered, with a non-empty box.
  function painted(el) {
    if (typeof el.checkVisibility === "function") {
      if (!el.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true })) return false;
    } else {
      for (var n = el; n && n.nodeType === 1; n = n.parentNode && n.parentNode.nodeType === 11 ? n.parentNode.host : n.parentNode) {
        var s = w.getComputedStyle(n);
        if (s.display === "none" || s.visibility === "hidden") return false;
      }
    }
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  }
  function change(ad, at) {
    if (ad.rec.v === null) return;
    var o = ad.rec.o;
    o.push([at, ad.ratio, visible()]);
    if (o.length > V.maxChanges) o.splice(0, o.length - V.maxChanges); // each change is a whole state
  }
  function checkPaint() {
    var waiting = false, at = Date.now();
    seen.forEach(function (ad) {
      if (ad.rec.i === null || ad.rec.p !== null || !ad.inView) return;
      if (painted(ad.el)) { ad.rec.p = at; queue.changed(); } else waiting = true;
    });
    if (waiting && paintTimer === null) { // a CSS transition, content-visibility: look again
      paintTimer = setTimeout(function () { paintTimer = null; checkPaint(); }, V.recheckSeconds * 1000);
    }
  }
  function beat() { // while an ad is in view on a visible page: the record's time goes on
    beatTimer = null;
    if (!visible() || !seen.some(function (ad) { return ad.inView; })) return;
    queue.flush();
    beatTimer = setTimeout(beat, V.writeSeconds * 1000);
  }
  function beatSoon() { if (beatTimer === null) beatTimer = setTimeout(beat, V.writeSeconds * 1000); }
  function onEntries(entries) {
    try {
      var at = Date.now();
      entries.forEach(function (entry) {
        var el = entry.target, ad = watched.get(el);
        var i = attr(el, V.impressionAttr), v = attr(el, V.viewAttr);
        if (ad && (ad.rec.i !== i || ad.rec.v !== v)) ad = null; // the element shows another ad now
        if (!ad) {
          if (!entry.isIntersecting) return; // nothing to tell of an ad never in the viewport
          var rec = queue.ad(i, v);
          if (!rec) return;
          ad = { el: el, rec: rec, ratio: 0, inView: false };
          watched.set(el, ad);
          seen.push(ad);
        }
        ad.inView = entry.isIntersecting;
        ad.ratio = entry.isIntersecting ? entry.intersectionRatio : 0;
        change(ad, at);
      });
      checkPaint();
      queue.changed();
      beatSoon();
    } catch (_) {}
  }
  function onVisibility() {
    try {
      var at = Date.now();
      seen.forEach(function (ad) { change(ad, at); });
      if (visible()) { queue.changed(); beatSoon(); } else queue.flush(); // hidden: the page may be gone next
    } catch (_) {}
  }
  function scanRoot(root) {
    root.querySelectorAll(V.watchedSelector).forEach(function (el) { io.observe(el); }); // again: a no-op
    root.querySelectorAll("*").forEach(function (el) {
      var inner = el.shadowRoot; // open shadow roots only
      if (!inner) return;
      if (mo && !observedRoots.has(inner)) { observedRoots.add(inner); mo.observe(inner, options); }
      scanRoot(inner);
    });
  }
  function scan() {
    scanTimer = null;
    try { scanRoot(d); } catch (_) {}
  }
  function scanSoon() { if (scanTimer === null) scanTimer = setTimeout(scan, 100); } // a burst of mutations: one scan
  if (mo) mo.observe(d.documentElement || d, options);
  scan();
  d.addEventListener("visibilitychange", onVisibility);
  return {
    // A new page view (a bfcache restore): every ad is observed afresh.
    reset: function () {
      watched = new WeakMap();
      seen = [];
      io.disconnect();
      scan();
    },
    stop: function () {
      io.disconnect();
      if (mo) mo.disconnect();
      clearTimeout(scanTimer);
      clearTimeout(paintTimer);
      clearTimeout(beatTimer);
      d.removeEventListener("visibilitychange", onVisibility);
    }
  };
}
