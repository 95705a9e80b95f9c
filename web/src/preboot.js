/* The pre-boot queue (V.key, "adtracker:preboot"): what the loader saw before Python ran,
 * for Python to act on (adtracker/events/preboot.py), on this page once it is ready or on
 * the store's next page. build.py inlines this file into tracker.js; the key and bounds
 * are Python's (V: buildtools/loader.py). Items: clicks {u: URL, t: ms} and this page's
 * ad records {g: page, i, v, p, o, s, e} (observe.js fills them in; s: observed until,
 * set at each write).
 * Nothing is stored before consent: while it is pending this page's items stay in
 * memory; denied keeps nothing. A stored write reads the list again first, so other
 * tabs' items stay; the ads of this page are rewritten as a whole (so a page whose
 * records another tab's Python took writes them back: that Python's dedup marks keep
 * what it sent from being sent again). */
function prebootQueue(captured, V, consentNow) {
  var page = "";
  var clicks = []; // this page's clicks not in storage (consent pending, storage blocked)
  var ads = []; // this page's ad records, updated in place
  var timer = null, released = false;
  function newPage() { // a page view: a bfcache restore is a new one
    page = Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
    ads = [];
  }
  newPage();
  function isAd(x) { return !!x && typeof x === "object" && typeof x.g === "string"; }
  function stored() {
    var list = captured.parse(captured.storage.getItem(V.key) || "[]");
    return Array.isArray(list) ? list : [];
  }
  // Store the queue: other pages' items, `click` added, this page's ads (none once Python
  // has them). Clicks are kept to the newest V.maxClicks; ads to the newest V.maxAds, and
  // dropped oldest first while the JSON is over V.maxChars (this page keeps its own in
  // memory; a click's URL would be lost with the page, an ad is seen again).
  function write(click) {
    var now = Date.now();
    if (!released) ads.forEach(function (r) { if (r.e === null) r.s = now; });
    var others = stored().filter(function (x) { return !(isAd(x) && x.g === page); });
    var keptClicks = others.filter(function (x) { return !isAd(x); });
    if (click) keptClicks.push(click);
    keptClicks = keptClicks.slice(-V.maxClicks);
    var keptAds = others.filter(isAd).concat(released ? [] : ads).slice(-V.maxAds);
    var text = captured.stringify(keptClicks.concat(keptAds));
    while (text.length > V.maxChars && keptAds.length) {
      keptAds.shift();
      text = captured.stringify(keptClicks.concat(keptAds));
    }
    if (keptClicks.length + keptAds.length) captured.storage.setItem(V.key, text);
    else captured.storage.removeItem(V.key);
  }
  function tryWrite(click) {
    try { write(click); return true; } catch (_) { return false; } // storage blocked or full
  }
  function flush() {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    if (consentNow() === "granted" && ads.length) tryWrite(null);
  }
  return {
    newPage: newPage,
    // A click: stored at once (it may navigate), and then returned (for click.js), or
    // kept in memory (null).
    click: function (url) {
      var consent = consentNow();
      if (consent === "denied") return null;
      var item = { u: url, t: Date.now() };
      if (consent === "granted" && tryWrite(item)) return item;
      clicks.push(item);
      if (clicks.length > V.maxClicks) clicks.shift();
      return null;
    },
    // The loader sent this stored click itself (click.js): its item names the outbox
    // entry (o), for Python to report, not send. False when it is no longer stored (a
    // Python took it: that one sends it).
    sent: function (item, entryId) {
      var list = stored(), found = null;
      for (var i = 0; i < list.length && !found; i++) {
        var x = list[i];
        if (!isAd(x) && x && x.u === item.u && x.t === item.t && !x.o) found = x;
      }
      if (!found) return false;
      found.o = entryId;
      captured.storage.setItem(V.key, captured.stringify(list));
      return true;
    },
    // A record for an ad seen in the viewport (null beyond V.maxAds for this page).
    ad: function (impressionUrl, viewUrl) {
      if (released || ads.length >= V.maxAds) return null;
      var record = { g: page, i: impressionUrl, v: viewUrl, p: null, o: [], s: null, e: null };
      ads.push(record);
      return record;
    },
    changed: function () { // written within V.writeSeconds, a burst of changes once
      if (timer === null && !released) timer = setTimeout(flush, V.writeSeconds * 1000);
    },
    flush: flush,
    end: function (at) { // the page ends (pagehide) or the loader stops watching it
      ads.forEach(function (r) { if (r.e === null) r.e = at; });
      flush();
    },
    // For Python (memoryQueue): this page's unstored clicks and all its ads.
    items: function () { return clicks.concat(ads); },
    // Python has this page's items: they leave storage (other pages' stay for Python).
    release: function () {
      released = true;
      if (timer !== null) { clearTimeout(timer); timer = null; }
      clicks = [];
      try { if (stored().some(function (x) { return isAd(x) && x.g === page; })) write(null); } catch (_) {}
    }
  };
}
