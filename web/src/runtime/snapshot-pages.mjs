/* The snapshot as Cache Storage keeps it: its non-zero pages only, stored uncompressed.
 *
 * Why not gzip (as before): CompressionStream took 0.9-1.0 s for the 38 MB heap on this
 * project's benchmark machine, so a shopper who left the page within a second never got
 * the snapshot cached. About 40 % of the heap is zero pages; dropping them and writing the
 * rest as it is takes ~40 ms plus ~45 ms for cache.put, and a warm start reads it back in
 * ~30 ms instead of ~160 ms of gunzip. The price is disk: ~23 MB in Cache Storage instead
 * of ~8.5 MB (docs/performance.md).
 */

// The elision's granularity: small enough to find the zero pages between live objects,
// large enough that the list of runs stays a few kB.
export const PAGE = 4096;

function isZero(words, start, end) {
  for (let i = start; i < end; i++) if (words[i] !== 0) return false;
  return true;
}

/** The runs of non-zero pages of `bytes`: [[firstByte, length], ...], in order. The last
 * page may be short. Reads `bytes` four at a time where it is aligned to do so. */
export function nonZeroRuns(bytes) {
  const aligned = bytes.byteOffset % 4 === 0;
  const words = aligned ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2) : null;
  const runs = [];
  let open = null;
  for (let start = 0; start < bytes.length; start += PAGE) {
    const end = Math.min(start + PAGE, bytes.length);
    let zero;
    if (words && end % 4 === 0) zero = isZero(words, start >>> 2, end >>> 2);
    else zero = isZero(bytes, start, end);
    if (zero) open = null;
    else if (open) open[1] += end - start;
    else runs.push((open = [start, end - start]));
  }
  return runs;
}

/** The non-zero pages of `bytes` as one Blob (a copy: `bytes` may then be transferred),
 * and the runs that put them back. */
export function elideZeroPages(bytes) {
  const runs = nonZeroRuns(bytes);
  const blob = new Blob(runs.map(([start, length]) => bytes.subarray(start, start + length)));
  return { blob, runs };
}

/** The inverse of elideZeroPages: `length` bytes, zero but for `runs` taken from `data`.
 * Throws if `data` and `runs` do not describe a snapshot of `length` bytes. */
export function restoreZeroPages(data, runs, length) {
  const out = new Uint8Array(length);
  let from = 0;
  let last = 0;
  for (const [start, size] of runs) {
    if (start < last || start + size > length || from + size > data.length) {
      throw new Error("the cached snapshot's pages do not fit its length");
    }
    out.set(data.subarray(from, from + size), start);
    from += size;
    last = start + size;
  }
  if (from !== data.length) throw new Error("the cached snapshot has the wrong length");
  return out;
}
