/* A consent management platform for the e2e tests, shaped like the IAB's published TCF
 * v2.2 stub and a CMP behind it (written for these tests, not copied):
 *
 * - the stub part runs first: it adds the `__tcfapiLocator` iframe (how frames find the
 *   CMP), answers `ping` itself, answers `__tcfapiCall` messages from frames, and queues
 *   every other command until the CMP loads;
 * - `window.__e2eCmp.load(state)` is the CMP loading: it replaces `__tcfapi`, runs the
 *   queued commands, and calls each listener with a TCData for `state`;
 * - `window.__e2eCmp.choose(state)` is the shopper acting on the banner
 *   (`useractioncomplete`); `window.__e2eCmp.show()` opens it (`cmpuishown`).
 *
 * A state is {gdprApplies, consents: {1: bool, 7: bool}, eventStatus}.
 */
(function () {
  "use strict";
  var queue = [];
  function addLocator() {
    if (window.frames.__tcfapiLocator) return;
    if (!document.body) return setTimeout(addLocator, 5);
    var frame = document.createElement("iframe");
    frame.style.display = "none";
    frame.name = "__tcfapiLocator";
    document.body.appendChild(frame);
  }
  addLocator();
  window.__tcfapi = function () {
    var args = Array.prototype.slice.call(arguments);
    if (!args.length) return queue;
    if (args[0] === "ping") {
      args[2]({ gdprApplies: undefined, cmpLoaded: false, cmpStatus: "stub", apiVersion: "2.2" }, true);
    } else {
      queue.push(args);
    }
  };
  window.addEventListener("message", function (event) {
    var call = event.data && event.data.__tcfapiCall;
    if (!call) return;
    window.__tcfapi(call.command, call.version, function (value, success) {
      var reply = { __tcfapiReturn: { returnValue: value, success: success, callId: call.callId } };
      event.source && event.source.postMessage(reply, "*");
    }, call.parameter);
  }, false);

  var listeners = {}; // listenerId -> callback
  var nextId = 1;
  var current = null;
  function tcData(listenerId) {
    return {
      tcString: "e2e-tc-string",
      tcfPolicyVersion: 5,
      cmpId: 999,
      cmpVersion: 1,
      gdprApplies: current.gdprApplies,
      eventStatus: current.eventStatus,
      cmpStatus: "loaded",
      listenerId: listenerId,
      isServiceSpecific: true,
      useNonStandardTexts: false,
      publisherCC: "DE",
      purposeOneTreatment: false,
      purpose: { consents: current.consents || {}, legitimateInterests: {} },
      vendor: { consents: {}, legitimateInterests: {} },
      specialFeatureOptins: {},
      publisher: { consents: {}, legitimateInterests: {}, customPurpose: {}, restrictions: {} },
    };
  }
  function notify() {
    for (var id in listeners) listeners[id](tcData(Number(id)), true);
  }
  function api(command, version, callback, parameter) {
    if (command === "ping") {
      callback({ gdprApplies: current.gdprApplies, cmpLoaded: true, cmpStatus: "loaded", apiVersion: "2.2" }, true);
    } else if (command === "addEventListener") {
      var id = nextId++;
      listeners[id] = callback;
      callback(tcData(id), true);
    } else if (command === "removeEventListener") {
      var had = parameter in listeners;
      delete listeners[parameter];
      callback(had);
    } else {
      callback(null, false);
    }
  }
  window.__e2eCmp = {
    load: function (state) {
      current = state;
      window.__tcfapi = api;
      var pending = queue.splice(0);
      for (var i = 0; i < pending.length; i++) api.apply(null, pending[i]);
    },
    choose: function (state) {
      current = Object.assign({}, state, { eventStatus: "useractioncomplete" });
      notify();
    },
    show: function () {
      current = Object.assign({}, current, { eventStatus: "cmpuishown" });
      notify();
    },
    listeners: function () { return Object.keys(listeners).length; },
  };
})();
