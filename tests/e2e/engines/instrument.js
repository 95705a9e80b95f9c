// Loaded by every cross-engine test page before tracker.js (same origin: a strict CSP
// allows it). Records what every engine can report the same way: the tracker's
// adtracker:event decisions and uncaught page errors, per page.
(() => {
  const events = (window.__e2eEvents = []);
  const errors = (window.__e2eErrors = []);
  document.addEventListener("adtracker:event", (event) => {
    try {
      // The replacer skips a page's String/Array.prototype.toJSON (tests/e2e/other_scripts.py).
      const own = function (key) { return this[key]; };
      events.push(JSON.parse(JSON.stringify(event.detail ?? null, own)) || {});
    } catch (err) {
      events.push({ unserializable: String(err) });
    }
  });
  window.addEventListener("error", (event) => {
    errors.push(`${event.message} (${event.filename}:${event.lineno})`);
  });
  window.addEventListener("unhandledrejection", (event) => {
    const reason = event.reason;
    errors.push(`unhandled rejection: ${(reason && reason.message) || reason}`);
  });
})();
