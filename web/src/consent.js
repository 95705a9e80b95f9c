/* The loader's copy of Python's consent rules, for the one thing it decides before Python
 * runs: whether a pre-boot record may be stored. build.py inlines this file into
 * tracker.js (buildtools/loader.py); tests/unit/test_loader_consent.py runs its functions
 * on the same tables as Python's rules (adtracker/consent/gcm.py, adtracker/consent/tcf.py). */
function isObject(v) { return !!v && typeof v === "object" && !Array.isArray(v); }
function consentModeState(layer) { // gtag's pushes (arguments objects) in dataLayer
  var update = null, all = null, regional = {};
  for (var i = 0; Array.isArray(layer) && i < layer.length; i++) {
    var c = layer[i];
    if (Object.prototype.toString.call(c) !== "[object Arguments]" || c[0] !== "consent") continue;
    var p = c[2], v = isObject(p) ? p.ad_storage : null, r = isObject(p) ? p.region : null;
    var regionOk = r == null || typeof r === "string" ||
      (Array.isArray(r) && r.every(function (x) { return typeof x === "string"; }));
    if ((c[1] !== "default" && c[1] !== "update") || (v !== "granted" && v !== "denied") || !regionOk) continue;
    if (c[1] === "update") update = v;
    else if (r != null && r.length) regional[v] = true;
    else all = v;
  }
  return update || (all === "granted" && !regional.denied ? "granted" : "pending");
}
function tcfConsent(tc, success) { // null: this answer changes nothing
  if (success !== true || !isObject(tc)) return null;
  var applies = tc.gdprApplies, purpose = tc.purpose, c = purpose == null ? null : purpose.consents;
  if ((applies != null && typeof applies !== "boolean") || (purpose != null && !isObject(purpose)) ||
    (c != null && !isObject(c)) || tc.cmpStatus === "error") return null;
  if (applies === false) return "granted";
  if (tc.eventStatus === "cmpuishown") return "pending";
  if (tc.eventStatus !== "tcloaded" && tc.eventStatus !== "useractioncomplete") return null;
  return c && c[1] === true && c[7] === true ? "granted" : "denied";
}
// The consent in force now: the consent platform's (consentFrom "gcm" or "tcf"; the TCF
// CMP is listened to until stop()), or else the data-consent attribute's.
function consentWatch(w, consentFrom, consent) {
  var tcfState = "pending", tcfListener = null;
  if (consentFrom === "tcf") {
    try {
      w.__tcfapi("addEventListener", 2, function (tc, success) {
        try {
          tcfState = tcfConsent(tc, success) || tcfState;
          if (tc && typeof tc.listenerId === "number") tcfListener = tc.listenerId;
        } catch (_) {}
      });
    } catch (_) {} // no CMP (or a broken one): pending; Python says so in debug mode
  }
  return {
    now: function () {
      if (consentFrom === "gcm") return consentModeState(w.dataLayer);
      return consentFrom === "tcf" ? tcfState : consent;
    },
    stop: function () {
      if (tcfListener !== null) try { w.__tcfapi("removeEventListener", 2, function () {}, tcfListener); } catch (_) {}
    }
  };
}
