/* adtracker snapshot worker: Python's start-up, done off the page's main thread.
 *
 * A module Worker started by boot.mjs from the same content-hashed runtime folder.
 * It answers one message ({faults}) with one of:
 *   {ok: true, from: "cache" | "worker", snapshot, files, wasm, libs, glueModules, table, handles}
 *   {ok: false, reason}
 * then, when it made a fresh snapshot, {stored: true, bytes} or {stored: false, reason}
 * once the snapshot is in Cache Storage (or could not be), and last, after an ok answer,
 * {settled: true, encoding, bytes?, reason?} once the entry is compressed (or left as it
 * is): the page ends the Worker then. A later {drop: true} (the page could not restore it)
 * deletes the cache entry and answers {dropped: true}.
 *
 * Fresh snapshot: fetch the runtime, the standard library and the wheels the lock file
 * lists for "adtracker", each archive in the variant this host sends smallest (see
 * fetchArchive) and sha256-checked, load every extension library (.so) in a preRun
 * hook so it sits at the same address on the page, unpack the wheels straight into
 * site-packages (loadPackage would leave JS objects in pyodide.loadedPackages, which a
 * snapshot cannot carry), import the tracker and its models, collect garbage, and take
 * Pyodide's memory snapshot. Its writes to Cache Storage start before the hand-over (the
 * non-zero pages, uncompressed: snapshot-pages.mjs), so they are done in well under the
 * time the page takes to restore, and a shopper who moves on the moment the tracker is
 * ready still finds it on the next page; then it gzips the entry (snapshot-cache.mjs).
 * From the cache: read and compile only (and gzip an entry an earlier page left raw).
 * One snapshot for all tabs: making one holds a Web Lock; a Worker that finds no cache
 * entry waits for the lock (at most LOCK_WAIT_MS), then looks again before making its own.
 * Every file is fetched once: Pyodide gets the lock file's text, the compiled wasm and the
 * standard library's bytes from here (options the build's patch adds to the pinned Pyodide,
 * buildtools/pyodide_patch.py), and so does the page, through the answer.
 * Its parts: worker-fetch.mjs (fetching), worker-files.mjs (the site-packages files and the
 * compiled modules), snapshot-cache.mjs (the cache entry); the build bundles them into
 * this module (one request).
 */
import { FORMAT, cacheKeys, describe, instantiateFrom, loadLibs, parseWheelFiles, sitePackagesOf } from "./snapshot-shared.mjs";
import { restoreZeroPages } from "./snapshot-pages.mjs";
import { compress, deleteRaw, dropEntry, entry, openCache, readEntry, store } from "./snapshot-cache.mjs";
import { collectFiles, compileGlueModules, compileLibs } from "./worker-files.mjs";
import { BASE, fetchArchive, fetchOk, sha256Hex, wheelsFor } from "./worker-fetch.mjs";

// Held while a snapshot is made and stored: one per origin, whatever the runtime.
const LOCK_NAME = "adtracker-snapshot";
// How long a Worker waits for another tab's snapshot before making its own: about a
// cold start on a slow phone (the page gives the whole Worker 30 s).
const LOCK_WAIT_MS = 12000;
const WASM = "pyodide.asm.wasm";
// The standard library trimmed to what the tracker imports (buildtools/trim.py); the full
// python_stdlib.zip is fetched only if Python imports something else (import_fallback.py).
const STDLIB = "adtracker_stdlib.zip";
// What Python runs before the snapshot: everything the page would import at start.
const PRELOAD = "import adtracker.browser.boot, gc\ngc.collect()\n";

// When each step of this Worker's run ended, in the page's time base (ms since the
// epoch: performance.timeOrigin + now): the page marks them as adtracker:worker:<step>.
const steps = [];
const step = (name) => steps.push([name, performance.timeOrigin + performance.now()]);

self.onmessage = (event) => {
  const data = event.data || {};
  if (data.drop) {
    // The page could not restore the snapshot: never serve it again.
    entry.dropped = true;
    dropEntry().then(() => self.postMessage({ dropped: true }));
    return;
  }
  const faults = String(data.faults || "");
  run(faults).catch((err) => {
    self.postMessage({ ok: false, reason: describe(err) });
  });
};

async function run(faults) {
  const wasmPromise = fetchOk(BASE + WASM).then((r) => WebAssembly.compileStreaming(r));
  wasmPromise.catch(() => {}); // awaited below; never an unhandled rejection
  step("started");
  const lockText = await (await fetchOk(BASE + "pyodide-lock.json")).text();
  step("lock");
  const parsed = JSON.parse(lockText);
  const wheels = wheelsFor(parsed, "adtracker");
  const lock = { text: lockText, version: parsed.info.version }; // parsed once, passed on
  const keys = cacheKeys(BASE, lock.version, await sha256Hex(new TextEncoder().encode(lockText)));
  const cache = await openCache(faults);
  Object.assign(entry, { cache, keys });
  if (!cache) return fresh(wheels, lock, cache, keys, wasmPromise);
  if (await fromCache(cache, keys, lock, wasmPromise)) return;
  await oneAtATime(faults, async (waited) => {
    // Another tab may have stored one while this Worker waited for the lock.
    if (waited && (await fromCache(cache, keys, lock, wasmPromise))) return;
    await fresh(wheels, lock, cache, keys, wasmPromise); // resolves once it is stored
  });
}

// Run `make` holding the snapshot lock, so tabs that open at once make one snapshot
// between them. `make(waited)` says whether another holder made this Worker wait. Without
// Web Locks, or past LOCK_WAIT_MS (a holder stuck or gone slow), runs it without the lock.
async function oneAtATime(faults, make) {
  const locks = self.navigator && navigator.locks;
  if (!locks || faults.includes("no-locks")) return make(false);
  const free = await locks.request(LOCK_NAME, { ifAvailable: true }, async (held) => {
    if (held) await make(false);
    return Boolean(held);
  });
  if (free) return;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), faults.includes("lock-wait-short") ? 500 : LOCK_WAIT_MS);
  let granted = false;
  try {
    await locks.request(LOCK_NAME, { signal: controller.signal }, () => {
      granted = true;
      clearTimeout(timer);
      return make(true);
    });
  } catch (err) {
    if (granted) throw err;
    await make(true); // waited long enough: make this tab's own
  }
}

async function fromCache(cache, keys, lock, wasmPromise) {
  const { version } = lock;
  let message, read, rawFiles;
  try {
    // The standard library is fetched while the bodies are read: later imports read it.
    const ours = (meta) => meta.format === FORMAT && meta.version === version;
    read = await readEntry(cache, keys, (meta) => (ours(meta) ? fetchArchive(STDLIB, meta.stdlibVariant) : null));
    if (!read) return false; // never stored, or evicted: make a fresh one
    const { meta, pages, files: data } = read;
    if (!ours(meta)) {
      throw new Error(`cached snapshot is for another version (${meta.version}, format ${meta.format})`);
    }
    const stdlib = await read.alongside;
    if (data.length !== meta.filesLength) throw new Error("cached snapshot has the wrong length");
    const snapshot = restoreZeroPages(pages, meta.runs, meta.snapshotLength);
    const files = { index: meta.index, data };
    const [libs, glueModules] = await Promise.all([compileLibs(meta.libs, files), compileGlueModules(meta.glueModules)]);
    const wasm = await wasmPromise;
    if (!meta.encoding) rawFiles = new Blob([data]); // a copy: `data` is transferred
    step("read");
    message = { ok: true, from: "cache", snapshot, files, libs, glueModules, wasm, stdlib, lock: lock.text, table: meta.table, handles: meta.handles, steps };
  } catch (err) {
    // Corrupt, truncated or foreign: drop it so the next page view makes a fresh one.
    await dropEntry();
    throw new Error(`snapshot cache unusable: ${describe(err)}`);
  }
  self.postMessage(message, [message.snapshot.buffer, message.files.data.buffer, message.stdlib.bytes.buffer]);
  if (read.meta.encoding) {
    await deleteRaw(cache, keys);
    self.postMessage({ settled: true, encoding: read.meta.encoding });
  } else await settle(cache, keys, read.meta, read.pages, rawFiles, null);
  return true;
}

// Gzip the entry just stored or read raw, then say so: the page ends the Worker then.
async function settle(cache, keys, meta, pages, files, rawBytes) {
  try {
    const bytes = await compress(cache, keys, meta, pages, files);
    self.postMessage({ settled: true, encoding: bytes === null ? "none" : "gzip", bytes: bytes ?? rawBytes });
  } catch (err) {
    if (entry.dropped) await dropEntry();
    self.postMessage({ settled: true, encoding: "none", bytes: rawBytes, reason: describe(err) });
  }
}

async function fresh(wheels, lock, cache, keys, wasmPromise) {
  const stdlibPromise = fetchArchive(STDLIB);
  stdlibPromise.catch(() => {}); // awaited below
  const blobs = (await Promise.all(wheels.map((file) => fetchArchive(file)))).map((w) => w.bytes);
  step("wheels");
  // Extension libraries, read from the wheels before Python starts (they must be loaded
  // in preRun, where the heap is the same on the page).
  const libs = [];
  for (const bytes of blobs) {
    for (const [path, data] of await parseWheelFiles(bytes, (name) => name.endsWith(".so"))) {
      libs.push({ path, bytes: data, module: await WebAssembly.compile(data) });
    }
  }
  libs.sort((a, b) => (a.path < b.path ? -1 : 1));
  step("libs");
  const wasm = await wasmPromise;
  step("wasm");
  const [{ loadPyodide }, { default: createPyodideModule }] = await Promise.all([
    import("./pyodide.mjs"),
    import("./pyodide.asm.mjs"),
  ]);
  let Module;
  const glueModules = new Map(); // the glue's small modules (see compileGlueModules) …
  const glueModuleBytes = {}; // … and their bytes, by key
  let failInstantiate;
  const instantiateFailed = new Promise((_, reject) => (failInstantiate = reject));
  const stdlib = await stdlibPromise;
  const booting = loadPyodide({
    indexURL: BASE,
    lockFileContents: lock.text,
    packageBaseUrl: BASE,
    stdLibURL: stdlib.bytes, // patched option: bytes, not a URL to fetch again
    instantiateWasm: instantiateFrom(wasm, failInstantiate), // patched option: no wasm fetch
    stdout: () => {},
    _makeSnapshot: true,
    createPyodideModule: (settings) => {
      settings.glueModules = glueModules; // both read by the patched glue
      settings.glueModuleBytes = glueModuleBytes;
      settings.preRun.push((M) => {
        Module = M;
        const site = sitePackagesOf(M);
        for (const lib of libs) {
          M.FS.mkdirTree(site + "/" + lib.path.slice(0, lib.path.lastIndexOf("/")));
          M.FS.writeFile(site + "/" + lib.path, lib.bytes);
        }
        loadLibs(M, libs);
      });
      return createPyodideModule(settings);
    },
  });
  const py = await Promise.race([booting, instantiateFailed]);
  step("booted");
  const site = sitePackagesOf(Module);
  for (const bytes of blobs) py.unpackArchive(bytes, "wheel", { extractDir: site });
  step("unpacked");
  py.runPython(PRELOAD);
  step("imported");
  const handles = Object.entries(Module.LDSO.loadedLibsByHandle)
    .filter(([handle]) => handle !== "0")
    .map(([handle, dso]) => [Number(handle), dso.name]);
  const table = Module.wasmTable.length;
  const snapshot = py.makeMemorySnapshot();
  step("snapshot");
  const files = collectFiles(Module.FS, site);
  const libPaths = libs.map((lib) => lib.path);
  const meta = {
    format: FORMAT,
    version: lock.version,
    stdlibVariant: stdlib.variant,
    table,
    handles,
    libs: libPaths,
    glueModules: glueModuleBytes,
    index: files.index,
    snapshotLength: snapshot.length,
    filesLength: files.data.length,
  };
  // Copies for the cache (the originals are transferred), written while the page restores.
  const storing = cache ? store(cache, keys, meta, snapshot, files.data) : null;
  if (storing) storing.catch(() => {}); // awaited below
  const message = {
    ok: true,
    from: "worker",
    snapshot,
    files,
    wasm,
    stdlib, // Pyodide copied it into its file system: the page can have the buffer
    lock: lock.text,
    libs: libs.map(({ path, module }) => ({ path, module })),
    glueModules: [...glueModules],
    table,
    handles,
    steps,
  };
  self.postMessage(message, [snapshot.buffer, files.data.buffer, stdlib.bytes.buffer]);
  if (!storing) {
    self.postMessage({ stored: false, reason: "Cache Storage is unavailable" });
    self.postMessage({ settled: true, encoding: "none" });
    return;
  }
  let stored;
  try {
    stored = await storing;
    self.postMessage({ stored: true, bytes: stored.bytes });
  } catch (err) {
    // Quota exceeded or storage blocked: this page view is fine, the next one boots fresh.
    await dropEntry();
    self.postMessage({ stored: false, reason: describe(err) });
    self.postMessage({ settled: true, encoding: "none" });
    return;
  }
  await settle(cache, keys, meta, stored.pages, stored.files, stored.bytes);
}
