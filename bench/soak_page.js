// The soak's side of the page (bench/soak.py installs it with page.evaluate after ready).
// It waits on the tracker's decisions without keeping them: the soak measures memory,
// and a log of thousands of decisions would be ours, not the tracker's.
(collector) => {
  const waiting = new Map();
  const app = document.createElement("main");
  document.body.appendChild(app);
  // Events the tracker held back: reported "failed" (it may resend them: the answer was
  // lost, so the server may have counted the first attempt) or "queued" (offline), each
  // [url, outcome, reason, epoch ms]. Only these; a few hundred per session.
  const held = [];
  document.addEventListener("adtracker:event", (e) => {
    const { url, outcome, reason } = e.detail;
    if (outcome === "failed" || outcome === "queued") held.push([url, outcome, reason, Date.now()]);
    const done = waiting.get(e.detail.url);
    if (done) { waiting.delete(e.detail.url); done(true); }
  });
  const decided = (url, ms) => new Promise((resolve) => {
    waiting.set(url, resolve);
    setTimeout(() => { if (waiting.delete(url)) resolve(false); }, ms);
  });
  const ad = (attr, url, text) => {
    const div = document.createElement("div");
    div.setAttribute(attr, url);
    div.textContent = text;
    div.style.cssText = "display:inline-block;width:300px;height:60px;margin:2px;background:#ddd";
    return div;
  };
  const beacon = (kind, id) => `${collector}/v1/beacon/${kind}/${id}?pos=1`;
  window.__soak = {
    held: () => held.slice(),
    // n route changes; every `every`-th renders a new ad (its impression awaited) and
    // one more that is removed in the same task (never painted: no impression).
    async routes(prefix, n, every) {
      let late = 0;
      for (let i = 0; i < n; i++) {
        app.replaceChildren();
        history.pushState({i}, "", `/shop/soak/${prefix}/${i}`);
        if (i % every) continue;
        const url = beacon("impression", `${prefix}-${i}`);
        const seen = decided(url, 5000);
        app.appendChild(ad("data-ad-impression-url", url, `route ${i}`));
        app.appendChild(ad("data-ad-impression-url", beacon("impression", `ghost-${prefix}-${i}`), "")).remove();
        if (!(await seen)) late++;
      }
      app.replaceChildren();
      return late;
    },
    // n clicks on new ads; every `repeat`-th ad is clicked twice.
    async clicks(prefix, n, repeat) {
      let late = 0;
      for (let i = 0; i < n; i++) {
        const url = beacon("click", `${prefix}-${i}`);
        const el = app.appendChild(ad("data-ad-click-url", url, `click ${i}`));
        const seen = decided(url, 5000);
        el.click();
        if (!(await seen)) late++;
        if (i % repeat === 0) {
          const again = decided(url, 5000);
          el.click();
          if (!(await again)) late++;
        }
        el.remove();
      }
      return late;
    },
    // n banners in view at once; each view awaited (a banner needs 1 s in view).
    async views(prefix, n) {
      const urls = Array.from({length: n}, (_, i) => beacon("view", `${prefix}-${i}`));
      const seen = urls.map((u) => decided(u, 8000));
      for (const u of urls) app.appendChild(ad("data-ad-view-url", u, "banner"));
      const late = (await Promise.all(seen)).filter((ok) => !ok).length;
      app.replaceChildren();
      return late;
    },
  };
}
