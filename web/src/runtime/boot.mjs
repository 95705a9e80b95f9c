/* adtracker boot: starts Python for tracker.js without freezing the page.
 *
 * Fast path: a module Worker (snapshot-worker.mjs, same folder) does Python's start-up
 * off the main thread, or reads it from Cache Storage, and hands over a memory snapshot,
 * the site-packages files and the compiled WebAssembly modules. The page only restores
 * it: no Python start-up, no import of pydantic on the page.
 * Fallback: any failure on that path (no Worker, a CSP without worker-src for us, a
 * snapshot or version mismatch, a corrupt cache, a restore that throws) boots the
 * ordinary way, exactly as before: loadPyodide() then loadPackage("adtracker").
 *
 * startPython() resolves to {py, via, notes}: the Pyodide API, "cache" | "worker" |
 * "normal", and lines for the tracker's debug log (Python decides whether to print them).
 * Performance marks adtracker:snapshot-restored (detail "worker" | "cache") or
 * adtracker:normal-boot tell which path ran; adtracker:worker:* and adtracker:restore:*
 * time the Worker's and the restore's steps, adtracker:snapshot-stored / snapshot-not-stored tell whether the Worker cached it, and
 * adtracker:snapshot-settled (detail {encoding, bytes}) that its cache work is over.
 */
import { CACHE_NAME, describe } from "./snapshot-shared.mjs";
import { mark, noop, yieldToPage } from "./page-steps.mjs";
import { restore } from "./restore.mjs";

const BASE = new URL("./", import.meta.url).href;
// A cold worker start is a full Pyodide boot on a busy core; past this, boot normally
// (tracker.js gives up on the whole start after 60 s).
const WORKER_TIMEOUT_MS = 30000;
// After the hand-over, how long the worker may take to store the snapshot in the cache
// and gzip it there.
const STORE_TIMEOUT_MS = 60000;
// The Worker's cache writes run while the page restores and are usually done first. If
// they are not, ready waits up to this long for them, so a shopper who moves on the
// moment the tracker is ready (the Worker dies with the page) still finds the snapshot.
const STORE_GRACE_MS = 250;

/** Start Python; never rejects unless the ordinary boot fails too. */
export async function startPython({ faults = "" } = {}) {
  const notes = [];
  try {
    const { py, via } = await fromSnapshot(String(faults));
    mark("snapshot-restored", via);
    notes.push(`Python restored from a snapshot (${via === "cache" ? "Cache Storage" : "made in a Worker"})`);
    return { py, via, notes };
  } catch (err) {
    notes.push(`snapshot path not taken (${describe(err)}); booting normally`);
  }
  mark("normal-boot");
  const py = await normalBoot(notes);
  return { py, via: "normal", notes };
}

/** Today's boot, unchanged: Pyodide, then the tracker package and its dependencies. */
export async function normalBoot(notes = []) {
  const { loadPyodide } = await import(BASE + "pyodide.mjs");
  const py = await loadPyodide({
    indexURL: BASE,
    packageBaseUrl: BASE,
    lockFileURL: BASE + "pyodide-lock.json",
    stdout: noop,
  });
  await py.loadPackage("adtracker", {
    messageCallback: (m) => notes.push(m),
    errorCallback: (m) => console.warn("[adtracker] " + m),
    checkIntegrity: true,
  });
  return py;
}

function startWorker() {
  if (typeof Worker !== "function") throw new Error("this browser has no Worker");
  // Same origin as this file, no blob: URL, so a CSP with worker-src 'self' allows it.
  return new Worker(BASE + "snapshot-worker.mjs", { type: "module", name: "adtracker-snapshot" });
}

// The worker's first answer: the snapshot, or why there is none.
function firstAnswer(worker) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no snapshot within ${WORKER_TIMEOUT_MS / 1000} s`)),
      WORKER_TIMEOUT_MS,
    );
    worker.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.onerror = (event) => {
      clearTimeout(timer);
      if (event && event.preventDefault) event.preventDefault();
      reject(new Error("the snapshot worker could not start" + (event && event.message ? ": " + event.message : "")));
    };
  });
}

// What the worker says after its first answer: `stored` resolves to {stored, bytes | reason}
// once a fresh snapshot is in the cache (or could not be; null for a snapshot from the
// cache), `settled` to {settled, encoding, bytes} once its cache work is over (the entry
// gzipped, or left as it was). Both resolve to null if it fails or takes longer than
// STORE_TIMEOUT_MS.
function laterAnswers(worker, fresh) {
  let stored, settled;
  const answers = {
    stored: fresh ? new Promise((resolve) => (stored = resolve)) : Promise.resolve(null),
    settled: new Promise((resolve) => (settled = resolve)),
  };
  const end = (data) => {
    clearTimeout(timer);
    if (stored) stored(null);
    settled(data);
  };
  const timer = setTimeout(() => end(null), STORE_TIMEOUT_MS);
  worker.onmessage = (event) => {
    const data = event.data || {};
    if ("stored" in data && stored) stored(data);
    if (data.settled) end(data);
  };
  worker.onerror = () => end(null);
  return answers;
}

// After a restore: once the worker has done its cache work (`settled`), end it.
function retireWorker(worker, { stored, settled }) {
  stored.then((data) => {
    if (data) mark(data.stored ? "snapshot-stored" : "snapshot-not-stored", data);
  });
  settled.then((data) => {
    worker.terminate();
    if (data) mark("snapshot-settled", data);
  });
}

// The snapshot's cache, held open by this page for its whole life. WebKit (WebKitGTK 2.50,
// seen under WebDriver) discards what a Worker wrote to a cache that no document has open
// once the Worker ends, even after its puts resolved; while a page holds the cache open,
// the entries outlive the Worker and the page. Costs nothing where that does not happen.
let heldCache = null;

function holdCache() {
  try {
    if (!heldCache && typeof caches !== "undefined") heldCache = caches.open(CACHE_NAME).catch(noop);
  } catch (_) {} // storage blocked (private modes): the Worker finds out too
}

async function fromSnapshot(faults) {
  holdCache();
  const worker = startWorker();
  // Pyodide's JS, loaded and evaluated on the page while the Worker works.
  const runtime = Promise.all([import(BASE + "pyodide.mjs"), import(BASE + "pyodide.asm.mjs")]);
  runtime.catch(noop); // awaited in restore()
  let answer;
  try {
    worker.postMessage({ faults });
    answer = await firstAnswer(worker);
    if (!answer || !answer.ok) throw new Error((answer && answer.reason) || "the worker gave no snapshot");
  } catch (err) {
    worker.terminate();
    throw err;
  }
  const via = answer.from;
  markWorkerSteps(answer.steps);
  // Listening now: the Worker's "stored" may come while the page restores.
  const later = laterAnswers(worker, via === "worker");
  await yieldToPage(); // receiving 45 MB and restoring them are separate tasks
  let py;
  try {
    py = await restore(answer, runtime);
  } catch (err) {
    dropSnapshot(worker);
    throw err;
  }
  retireWorker(worker, later);
  if (via === "worker") await Promise.race([later.stored, new Promise((resolve) => setTimeout(resolve, STORE_GRACE_MS))]);
  return { py, via };
}

// The Worker's steps as page marks (adtracker:worker:<step>), where they happened.
function markWorkerSteps(steps) {
  for (const [name, at] of steps || []) {
    try {
      performance.mark("adtracker:worker:" + name, { startTime: at - performance.timeOrigin });
    } catch (_) {}
  }
}

// A snapshot the page could not restore must not be cached or served again.
function dropSnapshot(worker) {
  const timer = setTimeout(() => worker.terminate(), STORE_TIMEOUT_MS);
  worker.onmessage = (event) => {
    if (!event.data || !event.data.dropped) return;
    clearTimeout(timer);
    worker.terminate();
    mark("snapshot-dropped");
  };
  worker.postMessage({ drop: true });
}
