/* The loader's captured built-ins. build.py inlines this file into tracker.js (at
 * __ADTRACKER_BUILTINS__); tests/unit/test_loader_builtins.py runs it under Node. */
// What the tracker relies on, taken now (docs/beside-other-scripts.md): a script that
// patches fetch, JSON or Storage later (a monitoring agent, a storage shim) changes
// nothing we send or store. One that patched them before we ran is used as found, and a
// note for the debug log names it. The JSON replacer hands back each value as its holder
// has it, so a legacy Array/String.prototype.toJSON (Prototype.js 1.6) cannot turn our
// arrays into strings. (The history functions are wrapped, not captured: the tracker must
// see the page's calls; adtracker/browser/routes.py.)
function captureBuiltins(w, notes) {
  var toText = Function.prototype.toString, S = w.Storage && w.Storage.prototype;
  var stringify = JSON.stringify, parse = JSON.parse, ls = null, own = {};
  function native(name, f) {
    try { if (/\[native code\]\s*\}\s*$/.test(toText.call(f))) return; } catch (_) {}
    notes.push(name + " is not the browser's own (a script replaced it before tracker.js ran): used as found");
  }
  function bound(m) { return function (a, b) { return m.call(ls, a, b); }; }
  own.stringify = function (v) { return stringify.call(JSON, v, function (k) { return this[k]; }); };
  own.parse = function (text) { return parse.call(JSON, text); };
  if (typeof w.fetch === "function") { native("window.fetch", w.fetch); own.fetch = w.fetch.bind(w); }
  try { ls = w.localStorage; } catch (_) {}
  if (ls && S) {
    var size = Object.getOwnPropertyDescriptor(S, "length").get, st = own.storage = Object.create(null);
    ["getItem", "setItem", "removeItem", "key"].forEach(function (m) { native("Storage." + m, S[m]); st[m] = bound(S[m]); });
    Object.defineProperty(st, "length", { get: function () { return size.call(ls); } });
  }
  return own;
}
