// Demo-page helper only (not part of the tracker): shows the tracker's decisions
// (the "adtracker:event" DOM events) and what the local collector received.
(function () {
  var tag = document.querySelector("script[data-beacon-origins]");
  var collector = tag ? tag.getAttribute("data-beacon-origins").split(/\s+/)[0] : "";
  var status = document.getElementById("status");
  function item(list, text, cls) {
    var li = document.createElement("li");
    li.textContent = text;
    if (cls) li.className = cls;
    list.insertBefore(li, list.firstChild);
  }
  window.adTracker = window.adTracker || [];
  document.addEventListener("adtracker:event", function (e) {
    var d = e.detail;
    var path = d.url.replace(/^https?:\/\/[^/]+/, "");
    item(document.getElementById("decisions"),
      new Date().toLocaleTimeString() + "  " + d.type + " " + d.outcome + "  " + path +
      (d.reason ? "  (" + d.reason + ")" : ""), d.outcome);
  });
  function whenReady() {
    if (!window.adTracker.ready) return setTimeout(whenReady, 50);
    window.adTracker.ready.then(
      function () { status.textContent = "tracker live"; status.className = "status live"; },
      function (err) { status.textContent = err.message; status.className = "status failed"; }
    );
  }
  whenReady();
  var seen = -1;
  function poll() {
    fetch(collector + "/_events").then(function (r) { return r.json(); }).then(function (events) {
      if (events.length !== seen) {
        seen = events.length;
        var list = document.getElementById("received");
        list.textContent = "";
        events.forEach(function (ev) {
          item(list, new Date(ev.received_at * 1000).toLocaleTimeString() + "  " + ev.status +
            "  " + ev.kind + "  " + ev.path, ev.status < 300 ? "delivered" : "failed");
        });
        document.getElementById("count").textContent = String(events.length);
      }
    }).catch(function () {}).then(function () { setTimeout(poll, 1000); });
  }
  poll();

  // An ad inserted after load (infinite scroll, SPA render): picked up by the tracker.
  var late = document.getElementById("late");
  if (late) setTimeout(function () {
    var ad = document.createElement("a");
    ad.className = "card sponsored";
    ad.href = "product.html?id=9";
    ad.setAttribute("data-ad-click-url", collector + "/v1/beacon/click/9a1b2c3d-0000-4000-8000-000000000009?pos=9&sig=demo");
    ad.setAttribute("data-ad-impression-url", collector + "/v1/beacon/impression/9a1b2c3d-0000-4000-8000-000000000009?pos=9&sig=demo");
    ad.innerHTML = '<div class="img">N</div><h2>Night lamp (added later)</h2><p>R$ 89,00</p><small>Sponsored</small>';
    late.appendChild(ad);
  }, 3000);
})();
