/* The snapshot's entry in Cache Storage, as the Worker reads, writes and drops it.
 * (The build bundles it into snapshot-worker.mjs.) */
import { CACHE_NAME } from "./snapshot-shared.mjs";
import { elideZeroPages } from "./snapshot-pages.mjs";

// Where this run's snapshot is (or will be) cached; set once the keys are known.
export const entry = { cache: null, keys: null, dropped: false };

export async function dropEntry() {
  const { cache, keys } = entry;
  if (!cache || !keys) return;
  await Promise.all([keys.meta, keys.snapshot, keys.files].map((k) => cache.delete(k).catch(() => false)));
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

// Write the snapshot's entry; resolves to the bytes stored. The copies are taken now
// (Blobs), before the caller transfers the originals; the writes run on the browser's side.
export async function store(cache, keys, meta, snapshot, filesData) {
  const { blob, runs } = elideZeroPages(snapshot);
  const filesBlob = new Blob([filesData]);
  meta.runs = runs;
  const dropped = () => {
    if (entry.dropped) throw new Error("the page could not restore this snapshot");
  };
  await Promise.all([cache.put(keys.snapshot, new Response(blob)), cache.put(keys.files, new Response(filesBlob))]);
  dropped();
  await cache.put(keys.meta, new Response(JSON.stringify(meta))); // last: it makes the entry whole
  dropped();
  // Snapshots of earlier runtimes (a previous deploy) are never read again: drop them.
  try {
    for (const request of await cache.keys()) {
      if (!request.url.startsWith(keys.root)) await cache.delete(request);
    }
  } catch (_) {} // left for a later page view
  return blob.size + filesBlob.size;
}

