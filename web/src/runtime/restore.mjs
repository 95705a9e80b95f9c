/* Restoring the Worker's Python on the page (boot.mjs's fast path): Emscripten's set-up,
 * the instance, the heap, the site-packages files and the extension libraries, each in
 * tasks of its own so the page handles input in between. */
import { instantiateFrom, loadLibs, sitePackagesOf } from "./snapshot-shared.mjs";
import { SETUP_SLICE_MS, mark, noop, pauseEvery, yieldToPage } from "./page-steps.mjs";

const BASE = new URL("./", import.meta.url).href;
// Pages of the heap touched per task before the snapshot is copied in (see touchPages).
const TOUCH_BYTES_PER_TASK = 2 << 20;

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
export async function restore(answer, runtime) {
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
