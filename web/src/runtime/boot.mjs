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
 * adtracker:normal-boot tell which path ran; adtracker:restore:* time the restore's steps,
 * and adtracker:snapshot-stored / snapshot-not-stored tell whether the Worker cached it.
 */
import { CACHE_NAME, instantiateFrom, loadLibs, sitePackagesOf } from "./snapshot-shared.mjs";

const BASE = new URL("./", import.meta.url).href;
// A cold worker start is a full Pyodide boot on a busy core; past this, boot normally
// (tracker.js gives up on the whole start after 60 s).
const WORKER_TIMEOUT_MS = 30000;
// After the hand-over, how long the worker may take to store the snapshot in the cache.
const STORE_TIMEOUT_MS = 60000;
// The Worker's cache writes run while the page restores and are usually done first. If
// they are not, ready waits up to this long for them, so a shopper who moves on the
// moment the tracker is ready (the Worker dies with the page) still finds the snapshot.
const STORE_GRACE_MS = 250;

// Pages of the heap touched per task before the snapshot is copied in (see touchPages).
const TOUCH_BYTES_PER_TASK = 2 << 20;
// Emscripten's factory and its set-up of the instance's exports (the build's patch,
// buildtools/pyodide_patch.py: setupPause) and the writing of the site-packages files run
// in slices; between slices they yield to the page once this much work has run since the
// last yield: well under the 50 ms long-task line at 4× CPU.
const SETUP_SLICE_MS = 30;

function noop() {}

function mark(name, detail) {
  try {
    performance.mark("adtracker:" + name, { detail });
  } catch (_) {}
}

function describe(err) {
  return String((err && err.message) || err).split("\n")[0];
}

// A task boundary, so the page can handle input between our steps.
function yieldToPage() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// A pause for work done in slices: a task boundary once `budgetMs` of work has run
// since the last one (or whenever `now` is true), otherwise none (a resolved promise:
// the next slice runs at once).
function pauseEvery(budgetMs) {
  let since = performance.now();
  return (now = false) => {
    if (!now && performance.now() - since < budgetMs) return Promise.resolve();
    return yieldToPage().then(() => {
      since = performance.now();
    });
  };
}

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

// The worker's second answer after a fresh snapshot: whether it stored it ({stored}), or
// null if it failed or took longer than STORE_TIMEOUT_MS.
function storeAnswer(worker) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), STORE_TIMEOUT_MS);
    worker.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.onerror = () => {
      clearTimeout(timer);
      resolve(null);
    };
  });
}

// After a restore: once the worker has stored its fresh snapshot (`stored` settles), end it.
function retireWorker(worker, stored) {
  if (!stored) return worker.terminate();
  stored.then((data) => {
    worker.terminate();
    if (data) mark(data.stored ? "snapshot-stored" : "snapshot-not-stored", data);
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
  // Listening now: the Worker's "stored" may come while the page restores.
  const stored = via === "worker" ? storeAnswer(worker) : null;
  await yieldToPage(); // receiving 45 MB and restoring them are separate tasks
  let py;
  try {
    py = await restore(answer, runtime);
  } catch (err) {
    dropSnapshot(worker);
    throw err;
  }
  retireWorker(worker, stored);
  if (stored) await Promise.race([stored, new Promise((resolve) => setTimeout(resolve, STORE_GRACE_MS))]);
  return { py, via };
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

// Write to every 4 KiB page of the first `length` bytes of the heap, its value unchanged,
// a few MB per task. The memory was just grown: the first write to each page makes the
// operating system commit it, and Pyodide's one synchronous copy of the 37 MB snapshot
// paid for all of those at once (~70 % of its task at 4× CPU throttling). Touched
// beforehand, that copy is a plain memcpy.
async function touchPages(heap, length) {
  for (let start = 0; start < length; start += TOUCH_BYTES_PER_TASK) {
    const end = Math.min(start + TOUCH_BYTES_PER_TASK, length);
    for (let i = start; i < end; i += 4096) heap[i] = heap[i];
    await yieldToPage();
  }
}

async function writeFiles(FS, root, { index, data }) {
  const made = new Set();
  const pause = pauseEvery(SETUP_SLICE_MS);
  for (const [path, offset, length] of index) {
    await pause();
    const full = `${root}/${path}`;
    const dir = full.slice(0, full.lastIndexOf("/"));
    if (!made.has(dir)) {
      FS.mkdirTree(dir);
      made.add(dir);
    }
    FS.writeFile(full, data.subarray(offset, offset + length));
  }
}

// Restore the worker's Python on this page. Consumes `answer` (its buffers are dropped).
async function restore(answer, runtime) {
  const [{ loadPyodide }, { default: createPyodideModule }] = await runtime;
  mark("restore:imported");
  let Module;
  let failRestore;
  const restoreFailed = new Promise((_, reject) => (failRestore = reject));
  const { snapshot, files, wasm, libs, glueModules, table, handles, stdlib, lock } = answer;
  answer.snapshot = answer.files = answer.stdlib = null;
  const instantiate = instantiateFrom(wasm, failRestore);
  const booting = loadPyodide({
    indexURL: BASE,
    packageBaseUrl: BASE,
    // Everything the Worker fetched, so this page fetches none of it again: the lock
    // file's text, the standard library's bytes and the compiled wasm (the last two are
    // options the build's patch adds to the pinned Pyodide: buildtools/pyodide_patch.py).
    lockFileContents: lock,
    stdLibURL: stdlib.bytes,
    // Each step below runs in its own task (yieldToPage), so the page can handle input
    // in between: Emscripten's set-up, instantiation, our preRun, then the restore.
    instantiateWasm: (imports, done) => {
      mark("restore:set-up");
      yieldToPage().then(() =>
        instantiate(imports, (instance, module) => {
          mark("restore:instantiated");
          yieldToPage().then(() => done(instance, module));
        }),
      );
      return {};
    },
    stdout: noop,
    _loadSnapshot: snapshot,
    createPyodideModule: async (settings) => {
      settings.setupPause = pauseEvery(SETUP_SLICE_MS); // both read by the patched glue
      // Pyodide would compile an empty module to learn this; tracker.js's wasmBlocked()
      // did before it imported this file (WebKit took up to 0.9 s for that compile here).
      settings.canConstructWasm = true;
      settings.glueModules = new Map(glueModules); // compiled by the Worker, not on this page
      settings.preRun.push((M) => {
        Module = M;
        M.addRunDependency("adtracker-restore");
        (async () => {
          await yieldToPage();
          mark("restore:prerun");
          M.growMemory(snapshot.length); // the snapshot's heap must fit before it is copied in
          await touchPages(M.HEAP8, snapshot.length);
          mark("restore:touched");
          await writeFiles(M.FS, sitePackagesOf(M), files); // pydantic & co. import lazily
          await yieldToPage();
          loadLibs(M, libs);
        })().then(
          () => M.removeRunDependency("adtracker-restore"),
          (err) => failRestore(err),
        );
      });
      await yieldToPage();
      const M = await createPyodideModule(settings);
      await yieldToPage();
      mark("restore:snapshot");
      return M;
    },
  });
  booting.catch(noop);
  const py = await Promise.race([booting, restoreFailed]);
  // Pyodide's config would keep the 40 MB snapshot and the standard library alive.
  delete py._api.config._loadSnapshot;
  delete py._api.config.stdLibURL;
  if (Module.wasmTable.length !== table) {
    throw new Error(`the restored function table has ${Module.wasmTable.length} slots, the snapshot ${table}`);
  }
  // dlopen handles the snapshot's Python holds, mapped to the libraries loaded above.
  for (const [handle, name] of handles) {
    const dso = Module.LDSO.loadedLibsByName[name];
    if (!dso) throw new Error(`the snapshot needs ${name}, which is not loaded`);
    Module.LDSO.loadedLibsByHandle[handle] = dso;
  }
  // A snapshot shares its import caches and its random state with every page that
  // restores it: refresh both.
  py.runPython("import importlib, random\nimportlib.invalidate_caches()\nrandom.seed()\n");
  await yieldToPage(); // the hand-over to Python is a task of its own
  return py;
}
