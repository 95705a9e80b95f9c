/* The page's side of the boot, in small tasks: what boot.mjs and restore.mjs share.
 * (The build bundles these modules into boot.mjs: one request on the page.) */

// Emscripten's factory and its set-up of the instance's exports (the build's patch,
// buildtools/pyodide_patch.py: setupPause) and the writing of the site-packages files run
// in slices; between slices they yield to the page once this much work has run since the
// last yield: well under the 50 ms long-task line at 4× CPU.
export const SETUP_SLICE_MS = 30;

export function noop() {}

export function mark(name, detail) {
  try {
    performance.mark("adtracker:" + name, { detail });
  } catch (_) {}
}

// A task boundary, so the page can handle input between our steps.
export function yieldToPage() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// A pause for work done in slices: a task boundary once `budgetMs` of work has run
// since the last one (or whenever `now` is true), otherwise none (a resolved promise:
// the next slice runs at once).
export function pauseEvery(budgetMs) {
  let since = performance.now();
  return (now = false) => {
    if (!now && performance.now() - since < budgetMs) return Promise.resolve();
    return yieldToPage().then(() => {
      since = performance.now();
    });
  };
}
