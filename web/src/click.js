/* The loader's own send of a pre-boot ad click: a click on a page that stays does not wait
 * for Python's boot (seconds on a first visit). The loader sends a click only when it
 * knows exactly what Python would send, and otherwise leaves it in the pre-boot queue for
 * Python, as before. What it applies is Python's: its data (V: the request, the storage
 * keys, the click's window, the bounds) and copies of three small rules, each pinned to
 * Python's by tests/unit/test_loader_click.py:
 *   - the URL check: a strict subset of adtracker/events/urls.py (what it sends, Python
 *     would send; anything unusual is left to Python);
 *   - the ids (adtracker/ids/identity.py): data-user-id / data-session-id, else the
 *     generated ones of adtracker:ids (made on a first visit, a new session after the
 *     TTL), stored for Python to use; ids from named places are left to Python;
 *   - the dedup key and mark (adtracker/events/dedup.py): a click already sent in its
 *     window is left to Python, which says so.
 * What it sends is written first as a leased entry of Python's outbox, in its format
 * (adtracker/delivery/outbox.py), and the queue's click names it (o: the entry's id), so
 * Python reports the click rather than sending it again, and its outbox sends it again
 * if no 2xx came (adtracker/delivery/sender.py): the answer's rules stay in Python.
 * build.py inlines this file into tracker.js. */
// Script-tag attributes under which Python reads the ids from elsewhere or keeps them
// longer (adtracker/config.py; the test pins the names): their clicks are Python's.
var IDS_ELSEWHERE = ["user-id-from", "session-id-from", "session-ttl-days"];
// A command queued before ready that changes consent or the ids (adtracker/commands.py;
// the test pins the names), or one the loader cannot read: Python's clicks then.
var IDS_COMMANDS = ["consent", "identify"];
function loaderMayIgnore(command) {
  return Array.isArray(command) && typeof command[0] === "string" && IDS_COMMANDS.indexOf(command[0]) < 0;
}
function codePoints(text) { return Array.from(text).length; }
// A host id as Python's HostId accepts it (adtracker/ids/host_id.py): undefined when
// absent, false when Python might read it otherwise (anything unusual: its clicks wait).
function loaderHostId(value, V) {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !value || /[\x00-\x1f\x7f\ud800-\udfff]/.test(value)) return false;
  return codePoints(value) <= V.maxIdLength ? value : false;
}
var ORIGIN_FORM = /^(https?):\/\/([a-z0-9.-]+)(?::([0-9]{1,5}))?/;
function loaderOrigin(found) { // scheme://host[:port] as Python's _origin_of writes it
  var port = found[3] === undefined ? null : parseInt(found[3], 10);
  if (port !== null && !(port >= 1 && port <= 65535)) return null;
  var fallback = found[1] === "https" ? 443 : 80;
  return found[1] + "://" + found[2] + (port === null || port === fallback ? "" : ":" + port);
}
// data-beacon-origins (space-separated, as Python's config): the origins, or null when
// Python might read the attribute otherwise.
function loaderOrigins(raw, V) {
  if (raw === undefined) return V.defaultOrigins.slice();
  if (typeof raw !== "string" || !/^[\x21-\x7e \t\n\r]*$/.test(raw)) return null;
  var out = [], tokens = raw.split(/[ \t\n\r]+/).filter(Boolean);
  for (var i = 0; i < tokens.length; i++) {
    var found = ORIGIN_FORM.exec(tokens[i]);
    if (!found || tokens[i].length > 2048 || !/^\/?$/.test(tokens[i].slice(found[0].length))) return null;
    var origin = loaderOrigin(found);
    if (!origin) return null;
    if (out.indexOf(origin) < 0) out.push(origin);
  }
  return out.length ? out : null;
}
// The beacon URL's origin if the loader may send to it as given, else null.
function loaderUrlOrigin(url, origins, V) {
  if (typeof url !== "string" || url.length > V.maxUrlChars || !/^[\x21-\x5b\x5d-\x7e]+$/.test(url)) return null;
  var found = ORIGIN_FORM.exec(url);
  if (!found || !/^(?:[/?#]|$)/.test(url.slice(found[0].length))) return null;
  var origin = loaderOrigin(found);
  return origin && origins.indexOf(origin) >= 0 ? origin : null;
}
// adtracker:ids as Python's IdentityRecord reads it, or null (Python then makes new ids).
function loaderIdsRecord(value, V) {
  function own(id) { return typeof id === "string" && id.length > 0 && codePoints(id) <= V.maxOwnIdLength; }
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  var seen = value.session_seen;
  if (!own(value.anon_user_id) || !own(value.session_id) || typeof seen !== "number" || !(seen >= 0)) return null;
  return value;
}
// Python's resolve(): the ids to send now (host ids first) and the record to store.
function loaderIds(record, now, hostUser, hostSession, newId, V) {
  var ttl = V.sessionTtlDays * V.daySeconds;
  var expired = !record || now - record.session_seen >= ttl || record.session_seen > now + V.clockSkew;
  var stored = {
    anon_user_id: record ? record.anon_user_id : newId(),
    session_id: expired ? newId() : record.session_id,
    session_seen: now
  };
  return { user: hostUser || stored.anon_user_id, session: hostSession || stored.session_id, record: stored };
}
// The loader's sender, or null when its clicks are all Python's (ids from places, a
// browser without what it needs). send(item): item is a click the queue has stored.
function prebootSender(w, captured, V, attrs, queue, consentNow, mayAct) {
  var cr = w.crypto, storage = captured.storage, fetch = captured.fetch;
  if (!cr || !cr.subtle || typeof cr.randomUUID !== "function" || !storage || !fetch ||
    typeof w.TextEncoder !== "function" || typeof w.AbortSignal !== "function") return null;
  if (IDS_ELSEWHERE.some(function (name) { return name in attrs; })) return null;
  var hostUser = loaderHostId(attrs["user-id"], V), hostSession = loaderHostId(attrs["session-id"], V);
  var origins = loaderOrigins(attrs["beacon-origins"], V);
  if (hostUser === false || hostSession === false || !origins) return null;
  var subtle = cr.subtle, encoder = new w.TextEncoder(), AbortSignal = w.AbortSignal;
  var newId = function () { return cr.randomUUID(); };
  // This page's ids, once resolved (as Python's IdentityKeeper keeps them), and whether
  // their record is stored (with the first attempt, off the click's task).
  var ids = null, idsStored = false;
  function read(key) {
    var raw = storage.getItem(key);
    if (raw === null) return null;
    try { return captured.parse(raw); } catch (_) { return undefined; }
  }
  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }
  function request(body, ms) {
    var init = Object.assign(Object.create(null), V.requestInit);
    init.headers = Object.assign(Object.create(null), V.requestHeaders);
    init.body = body;
    init.signal = AbortSignal.timeout(ms);
    return init;
  }
  // The dedup key known, in one task: store the attempt, then send it.
  function sendKnown(item, key) {
    if (!mayAct() || consentNow() !== "granted") return;
    var mark = read(key), when = item.t / 1000;
    if (mark !== null && !(mark && Number.isInteger(mark.e) && mark.e >= 0)) return; // Python reads it
    if (mark !== null && when < mark.e) return; // sent in its window: Python says so
    var now = Date.now() / 1000, id = newId(), entryKey = V.outboxPrefix + id;
    var entry = {
      id: id, type: "click", url: item.u, body: captured.stringify({ user_id: ids.user, session_id: ids.session }),
      created: when, attempts: 1, next_at: 0, lease_until: now + V.requestTimeout + V.leaseMargin,
      maybe_reached: true, not_before: 0
    };
    try {
      if (!idsStored) { storage.setItem(V.idsKey, captured.stringify(ids.record)); idsStored = true; }
      storage.setItem(entryKey, captured.stringify(entry));
      storage.setItem(key, captured.stringify({ e: Math.floor(when + V.clickWindow) }));
      if (!queue.sent(item, id)) throw new Error("taken"); // another tab's Python has it
    } catch (_) { // storage full or blocked, or taken: Python sends it
      try { storage.removeItem(entryKey); if (mark === null) storage.removeItem(key); } catch (_) {}
      return;
    }
    var answered = function (delivered) {
      try {
        if (delivered) return storage.removeItem(entryKey);
        var stored = read(entryKey); // no 2xx: due at once, for Python's rules (unless re-leased)
        if (stored && stored.lease_until === entry.lease_until) {
          stored.lease_until = 0;
          storage.setItem(entryKey, captured.stringify(stored));
        }
      } catch (_) {}
    };
    try {
      fetch(item.u, request(entry.body, V.requestTimeout * 1000)).then(
        function (r) { answered(r.status >= 200 && r.status < 300); },
        function () { answered(false); }
      );
    } catch (_) { answered(false); }
  }
  return {
    send: function (item) {
      if (!mayAct() || consentNow() !== "granted" || !loaderUrlOrigin(item.u, origins, V)) return;
      if (!ids) { // the first click: resolved now, so every later click has the same ones
        ids = loaderIds(loaderIdsRecord(read(V.idsKey), V), item.t / 1000, hostUser, hostSession, newId, V);
      }
      var text = "click\n" + ids.user + "\n" + ids.session + "\n" + item.u;
      subtle.digest("SHA-256", encoder.encode(text)).then(function (digest) {
        try { sendKnown(item, V.dedupPrefix + hex(digest).slice(0, V.dedupDigestChars)); } catch (_) {}
      }, function () {});
    }
  };
}
