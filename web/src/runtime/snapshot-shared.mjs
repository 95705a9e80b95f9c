/* What the snapshot worker and the page (boot.mjs) must agree on: the cache layout and
 * the two steps both runs take identically, so the page's heap matches the worker's. */

// Bump when the message or the cached meta changes shape: older cache entries are ignored.
// 2: meta.stdlibVariant; 3: zero pages elided, uncompressed; 4: meta.glueModules;
// 5: meta.encoding, the bodies gzipped after the hand-over (snapshot-cache.mjs)
export const FORMAT = 5;

// The Cache Storage cache the snapshot lives in.
export const CACHE_NAME = "adtracker-snapshot";

// Cache Storage entries, keyed by the runtime folder (its name is the hash of every file
// in it, the wheels included) and the lock file's own hash.
export function cacheKeys(base, version, lockSha256) {
  const root = `${base}adtracker-snapshot/${FORMAT}/${version}/${lockSha256.slice(0, 16)}/`;
  const snapshot = root + "snapshot.pages";
  const files = root + "files.bin";
  return { root, meta: root + "meta.json", snapshot, files, snapshotGz: snapshot + ".gz", filesGz: files + ".gz" };
}

// An error's first line, for a note or a reason.
export function describe(err) {
  return String((err && err.message) || err).split("\n")[0];
}

export function sitePackagesOf(Module) {
  return Module.API.sitePackages;
}

// pyodide.asm.wasm imports two helpers that Pyodide normally builds from a tiny wasm
// module inside its own instantiateWasm. We instantiate an already compiled Module, so we
// give the plain-JS version that Pyodide itself uses where that module cannot compile
// (src/core/jsverror.ts): same contract, a unique marker for "a JS error is pending".
export function fallbackJsvImports() {
  const marker = Symbol("error marker");
  return {
    Jsv_GetError_import: () => marker,
    JsvError_Check: (value) => value === marker,
  };
}

// Emscripten's instantiateWasm hook for an already compiled pyodide.asm.wasm. Emscripten
// never hears of a failure here, so it is reported through onError.
export function instantiateFrom(wasm, onError) {
  return (imports, done) => {
    Object.assign(imports.env, fallbackJsvImports());
    WebAssembly.instantiate(wasm, imports).then(
      (instance) => done(instance, wasm),
      (err) => onError && onError(err),
    );
    return {};
  };
}

// Load each extension library (pydantic-core's .so) before Python runs, from a compiled
// WebAssembly.Module, so that it gets the same memory and table slots in the worker that
// takes the snapshot and on the page that restores it. Python's later dlopen of the same
// path finds it already loaded.
export function loadLibs(Module, libs) {
  const site = sitePackagesOf(Module);
  for (const lib of libs) {
    const path = `${site}/${lib.path}`;
    const dso = Module.newDSO(path, undefined, "loading");
    dso.refcount = Infinity;
    dso.global = false;
    dso.exports = Module.loadWebAssemblyModule(lib.module, { loadAsync: false, nodelete: true }, path, {});
  }
}

// The files of a wheel (a zip) whose names pass `want`, as [name, bytes] pairs. Reads the
// central directory and inflates with DecompressionStream; enough for wheels (no zip64,
// no encryption), and it runs before Python, which has the zipfile module, is up.
export async function parseWheelFiles(buffer, want) {
  const u8 = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  let end = -1;
  for (let i = u8.length - 22; i >= Math.max(0, u8.length - 65557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error("a wheel is not a zip file");
  const count = view.getUint16(end + 10, true);
  let p = view.getUint32(end + 16, true);
  const names = new TextDecoder();
  const out = [];
  for (let k = 0; k < count; k++) {
    if (view.getUint32(p, true) !== 0x02014b50) throw new Error("a wheel has a bad zip directory");
    const method = view.getUint16(p + 10, true);
    const size = view.getUint32(p + 20, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = names.decode(u8.subarray(p + 46, p + 46 + nameLength));
    p += 46 + nameLength + extraLength + commentLength;
    if (!want(name)) continue;
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = u8.subarray(start, start + size);
    if (method === 0) out.push([name, data.slice()]);
    else if (method === 8) {
      const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
      out.push([name, new Uint8Array(await new Response(stream).arrayBuffer())]);
    } else throw new Error(`a wheel uses zip method ${method}`);
  }
  return out;
}
