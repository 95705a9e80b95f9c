/* What the snapshot Worker fetches, and how: every runtime file checked, each archive in
 * the variant this host sends smallest. (The build bundles it into snapshot-worker.mjs.) */

export const BASE = new URL("./", import.meta.url).href;
// The archives this Worker fetches: for each, the path and sha256 of its deflated and its
// stored variant (buildtools/archives.py; the build defines it when it bundles).
const ARCHIVES = __ADTRACKER_ARCHIVES__;

export async function fetchOk(url, init) {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${url.slice(BASE.length)} answered HTTP ${response.status}`);
  return response;
}

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

// An archive in the variant this host sends smallest. Its stored variant (uncompressed,
// with the build's .br/.gz siblings) is taken when the host answers its headers with a
// Content-Encoding; otherwise the deflated one, never larger than before. A HEAD asks, so
// a host that compresses nothing sends no stored bytes. `variant` skips the question when
// it is known (a warm start repeats the cold one's choice).
export async function fetchArchive(name, variant) {
  const variants = ARCHIVES[name];
  if (!variants) throw new Error(`${name} is not one of the build's archives`);
  if (!variant) {
    variant = "deflated";
    try {
      const head = await fetch(BASE + variants.stored.path, { method: "HEAD" });
      if (head.ok && head.headers.get("content-encoding")) variant = "stored";
    } catch (_) {} // the deflated one is always there
  }
  const { path, sha256 } = variants[variant];
  const bytes = new Uint8Array(await (await fetchOk(BASE + path)).arrayBuffer());
  if ((await sha256Hex(bytes)) !== sha256) throw new Error(`${path} does not match its sha256`);
  return { bytes, variant };
}

// The wheels "adtracker" needs, in the lock file's dependency order.
export function wheelsFor(lock, name, seen = new Set(), out = []) {
  if (seen.has(name)) return out;
  seen.add(name);
  const pkg = lock.packages[name];
  if (!pkg) throw new Error(`pyodide-lock.json has no package ${name}`);
  for (const dep of pkg.depends || []) wheelsFor(lock, dep, seen, out);
  out.push(pkg.file_name);
  return out;
}

