/* The snapshot's entry in Cache Storage, as the Worker reads, writes and drops it.
 * (The build bundles it into snapshot-worker.mjs.)
 *
 * An entry is meta.json plus two bodies: the snapshot's non-zero pages and the
 * site-packages files. It is written in two steps, so that both the next page view and the
 * shopper's disk are served:
 *   1. store(): the bodies as they are (snapshot.pages, files.bin), then meta: done within
 *      ~100 ms of the hand-over, so a shopper who moves on the moment the tracker is ready
 *      still finds a snapshot on the next page;
 *   2. compress(): gzip of both (the browser's CompressionStream, 0.6-1 s in the Worker,
 *      off the page's thread) under their .gz keys, then meta with encoding "gzip", then
 *      the raw bodies are deleted: 30 MB on disk become about 11 MB.
 * meta is always written after the bodies it names, so a reader never sees a meta whose
 * bodies are not there yet; a reader that races the deletion of the raw bodies (another
 * tab compressing) reads meta once more. An entry left raw (the page closed during step 2)
 * is compressed by the next warm Worker, from the bytes it has just read.
 */
import { CACHE_NAME } from "./snapshot-shared.mjs";
import { elideZeroPages } from "./snapshot-pages.mjs";

// Where this run's snapshot is (or will be) cached; set once the keys are known.
export const entry = { cache: null, keys: null, dropped: false };

// The encoding compress() writes: a stream format every engine's DecompressionStream reads.
export const ENCODING = "gzip";

function bodyKeys(keys, encoding) {
  return encoding === ENCODING ? [keys.snapshotGz, keys.filesGz] : [keys.snapshot, keys.files];
}

export async function dropEntry() {
  const { cache, keys } = entry;
  if (!cache || !keys) return;
  const all = [keys.meta, ...bodyKeys(keys, null), ...bodyKeys(keys, ENCODING)];
  await Promise.all(all.map((k) => cache.delete(k).catch(() => false)));
}

// Cache Storage, or null where it is missing or blocked (private modes). `faults` is the
// e2e tests' injection (window.__adtrackerTestFaults on the page; empty in production).
export async function openCache(faults) {
  if (faults.includes("no-cache")) return null;
  try {
    if (faults.includes("cache-throws")) throw new DOMException("injected", "SecurityError");
    if (typeof caches === "undefined") return null;
    const cache = await caches.open(CACHE_NAME);
    if (faults.includes("quota")) {
      cache.put = () => Promise.reject(new DOMException("injected by a test", "QuotaExceededError"));
    }
    return cache;
  } catch (_) {
    return null;
  }
}

function checkNotDropped() {
  if (entry.dropped) throw new Error("the page could not restore this snapshot");
}

// Write the snapshot's entry, uncompressed; resolves to {bytes, pages, files}: the bytes
// stored and the Blob copies compress() reads. The copies are taken now, before the caller
// transfers the originals; the writes run on the browser's side.
export async function store(cache, keys, meta, snapshot, filesData) {
  const { blob, runs } = elideZeroPages(snapshot);
  const filesBlob = new Blob([filesData]);
  meta.runs = runs;
  await Promise.all([cache.put(keys.snapshot, new Response(blob)), cache.put(keys.files, new Response(filesBlob))]);
  checkNotDropped();
  const metaBlob = new Blob([JSON.stringify(meta)]);
  await cache.put(keys.meta, new Response(metaBlob)); // last: it makes the entry whole
  checkNotDropped();
  // Snapshots of earlier runtimes (a previous deploy) are never read again: drop them.
  try {
    for (const request of await cache.keys()) {
      if (!request.url.startsWith(keys.root)) await cache.delete(request);
    }
  } catch (_) {} // left for a later page view
  return { bytes: blob.size + filesBlob.size + metaBlob.size, pages: blob, files: filesBlob };
}

// The cached entry's meta and its two bodies as bytes, or null where there is none
// (never stored, evicted, or a body gone). Throws if what is there cannot be read.
// `withMeta(meta)` starts what may run while the bodies are read; its promise (or null)
// is returned as `alongside`.
export async function readEntry(cache, keys, withMeta = () => null) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const metaR = await cache.match(keys.meta);
    if (!metaR) return null;
    const meta = await metaR.json();
    const encoding = meta.encoding || null;
    const bodies = await Promise.all(bodyKeys(keys, encoding).map((k) => cache.match(k)));
    if (bodies.some((r) => !r)) continue; // another tab swapped the bodies: read meta again
    const alongside = withMeta(meta);
    if (alongside) alongside.catch(() => {}); // awaited by the caller
    const [pages, files] = await Promise.all(bodies.map((r) => bodyBytes(r, encoding)));
    return { meta, pages, files, alongside };
  }
  return null;
}

// A cached body's bytes, decoded from `encoding` (null: stored as it is).
async function bodyBytes(response, encoding) {
  const body = encoding ? response.body.pipeThrough(new DecompressionStream(encoding)) : response.body;
  return new Uint8Array(await new Response(body).arrayBuffer());
}

async function gzip(blob) {
  return new Response(blob.stream().pipeThrough(new CompressionStream(ENCODING))).blob();
}

// Step 2: replace the raw bodies of the entry `meta` describes by their gzip. `pages` and
// `files` are the raw bodies (Blobs or bytes). Resolves to the bytes the entry then keeps
// (meta included), or null where this browser has no CompressionStream (the raw entry
// stays, and works).
export async function compress(cache, keys, meta, pages, files) {
  if (typeof CompressionStream !== "function") return null;
  const [pagesGz, filesGz] = await Promise.all([pages, files].map((b) => gzip(new Blob([b]))));
  let metaBlob;
  try {
    checkNotDropped();
    await Promise.all([cache.put(keys.snapshotGz, new Response(pagesGz)), cache.put(keys.filesGz, new Response(filesGz))]);
    checkNotDropped();
    metaBlob = new Blob([JSON.stringify({ ...meta, encoding: ENCODING })]);
    await cache.put(keys.meta, new Response(metaBlob));
    checkNotDropped(); // dropped while meta was written: the caller drops the entry again
  } catch (err) {
    // Full, blocked or dropped: the raw entry stays as it was; no half-written copy is kept.
    await Promise.all(bodyKeys(keys, ENCODING).map((k) => cache.delete(k).catch(() => false)));
    throw err;
  }
  await deleteRaw(cache, keys);
  return pagesGz.size + filesGz.size + metaBlob.size;
}

// The raw bodies of an entry whose meta names its gzip ones: left over where a Worker
// ended between writing that meta and deleting them. Nothing is kept twice.
export async function deleteRaw(cache, keys) {
  await Promise.all(bodyKeys(keys, null).map((k) => cache.delete(k).catch(() => false)));
}
