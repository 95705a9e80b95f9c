"""Python started from a memory snapshot made off the main thread, and every fallback.

The loader's boot.mjs asks a module Worker (snapshot-worker.mjs) for a snapshot: made
fresh in the Worker on a first visit, read from Cache Storage on later page views. The
page restores it; any failure boots the ordinary way. Performance marks tell which path
ran (``adtracker:snapshot-restored`` with detail ``"worker"`` or ``"cache"``, or
``adtracker:normal-boot``), and with ``data-debug`` Python prints the loader's note.

Each fallback is provoked for real where a test can reach it (a CSP, the cache entries
themselves); what only the Worker can see (Cache Storage missing, throwing, or full) is
injected through ``window.__adtrackerTestFaults``, which production pages never set.
"""

from __future__ import annotations

from typing import Any

from e2e_helpers import click_url, path_of
from playwright.sync_api import Page

BODY = {"user_id": "customer-42", "session_id": "storefront-session-id"}
CACHE_NAME = "adtracker-snapshot"
#: A cold snapshot is a whole Pyodide boot in a Worker (storing it then is quick).
STORE_TIMEOUT_MS = 90_000

BOOT_PATH = """() => {
  const restored = performance.getEntriesByName("adtracker:snapshot-restored")[0];
  if (restored) return restored.detail;
  return performance.getEntriesByName("adtracker:normal-boot").length ? "normal" : null;
}"""

CACHED_URLS = f"""async () => {{
  const cache = await caches.open("{CACHE_NAME}");
  return (await cache.keys()).map((r) => r.url);
}}"""


def boot_path(page: Page) -> str | None:
    return page.evaluate(BOOT_PATH)


def boot_notes(page_log: Any) -> list[str]:
    return [m.text for m in page_log.console if "[adtracker] boot:" in m.text]


def wait_stored(page: Page) -> str:
    """Wait until the Worker reports whether it cached the snapshot; return which."""
    page.wait_for_function(
        """() => performance.getEntriesByName("adtracker:snapshot-stored").length
              || performance.getEntriesByName("adtracker:snapshot-not-stored").length""",
        timeout=STORE_TIMEOUT_MS,
    )
    return page.evaluate(
        """() => performance.getEntriesByName("adtracker:snapshot-stored").length
              ? "stored" : "not-stored" """
    )


def wait_settled(page: Page) -> dict:
    """Wait until the Worker's cache work is over (the entry gzipped, or left as it is);
    return the mark's detail ({encoding, bytes})."""
    page.wait_for_function(
        """() => performance.getEntriesByName("adtracker:snapshot-settled").length""",
        timeout=STORE_TIMEOUT_MS,
    )
    return page.evaluate(
        """() => performance.getEntriesByName("adtracker:snapshot-settled")[0].detail"""
    )


def cached_names(page: Page) -> list[str]:
    return sorted(u.rsplit("/", 1)[1] for u in cached_urls(page))


#: The Worker's steps (adtracker:worker:<step> marks), in order, for a fresh snapshot.
FRESH_STEPS = [
    "started",
    "lock",
    "wheels",
    "libs",
    "wasm",
    "booted",
    "unpacked",
    "imported",
    "snapshot",
]
WORKER_STEPS = """() => performance.getEntriesByType("mark")
  .filter((m) => m.name.startsWith("adtracker:worker:"))
  .sort((a, b) => a.startTime - b.startTime)
  .map((m) => [m.name.slice("adtracker:worker:".length), m.startTime])"""
RESTORE_STARTED = (
    """() => performance.getEntriesByName("adtracker:restore:imported")[0].startTime"""
)

#: The entry once the Worker has gzipped it: nothing is kept twice.
GZIP_ENTRY = ["files.bin.gz", "meta.json", "snapshot.pages.gz"]
RAW_ENTRY = ["files.bin", "meta.json", "snapshot.pages"]

#: Puts the gzipped entry back as an earlier page that closed before gzipping left it.
UNCOMPRESS_ENTRY = f"""async () => {{
  const cache = await caches.open("{CACHE_NAME}");
  const keys = (await cache.keys()).map((r) => r.url);
  const metaKey = keys.find((u) => u.endsWith("/meta.json"));
  const meta = await (await cache.match(metaKey)).json();
  for (const gz of keys.filter((u) => u.endsWith(".gz"))) {{
    const body = (await cache.match(gz)).body.pipeThrough(new DecompressionStream("gzip"));
    await cache.put(gz.slice(0, -3), new Response(await new Response(body).blob()));
    await cache.delete(gz);
  }}
  delete meta.encoding;
  await cache.put(metaKey, new Response(JSON.stringify(meta)));
}}"""

#: A gzip of as many zero bytes as the entry's snapshot pages hold.
GZIP_OF_ZEROS = """async (old, meta) => {
  const length = meta.runs.reduce((total, [, size]) => total + size, 0);
  const zeros = new Blob([new Uint8Array(length)]).stream();
  return new Response(zeros.pipeThrough(new CompressionStream("gzip"))).blob();
}"""


#: What the tracker's cache keeps on disk: the sum of its bodies.
CACHED_BYTES = f"""async () => {{
  const cache = await caches.open("{CACHE_NAME}");
  let total = 0;
  for (const r of await cache.keys()) total += (await (await cache.match(r)).blob()).size;
  return total;
}}"""


def cached_urls(page: Page) -> list[str]:
    return page.evaluate(CACHED_URLS)


def replace_cached(page: Page, suffix: str, script: str) -> None:
    """Replace the cache entry whose URL ends with ``suffix``; ``script`` gets the old
    Response and the parsed meta, and returns the new body."""
    page.evaluate(
        f"""async (suffix) => {{
          const cache = await caches.open("{CACHE_NAME}");
          const keys = await cache.keys();
          const key = keys.find((r) => r.url.endsWith(suffix));
          const metaKey = keys.find((r) => r.url.endsWith("/meta.json"));
          const meta = await (await cache.match(metaKey)).json();
          const old = await cache.match(key);
          const body = await ({script})(old, meta);
          await cache.put(key, new Response(body));
        }}""",
        suffix,
    )


def click_and_assert_delivered(page: Page, page_log: Any, collector: Any, url: str) -> None:
    """Python is live on this page: a click is sent once, byte for byte."""
    page.click("#ad")
    assert len(collector.wait_for(1, timeout=10.0)) == 1
    page_log.wait_outcome(page, "delivered", url=url)
    events = collector.events()
    assert [e.path for e in events] == [path_of(url)], events
    assert events[0].body_json == BODY


def first_visit(page: Page, site: Any, collector: Any, make_page: Any, ad_html: Any, name: str):
    url = click_url(collector, name)
    page_url = make_page(site, collector, ad_html(url, id="ad"))
    page.goto(page_url)
    return url, page_url


def test_first_view_restores_a_worker_snapshot_then_the_next_view_reads_the_cache(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    url, page_url = first_visit(page, site, collector, make_page, ad_html, "ad-snap-1")
    wait_ready(page)

    assert boot_path(page) == "worker"
    assert any("restored from a snapshot (made in a Worker)" in n for n in boot_notes(page_log))
    # the Worker's steps, marked on the page where they happened: before the restore
    steps = page.evaluate(WORKER_STEPS)
    assert [name for name, _ in steps] == FRESH_STEPS, steps
    assert steps[-1][1] <= page.evaluate(RESTORE_STARTED), steps
    click_and_assert_delivered(page, page_log, collector, url)
    assert wait_stored(page) == "stored"
    settled = wait_settled(page)
    assert settled["encoding"] == "gzip", settled
    assert cached_names(page) == GZIP_ENTRY
    assert settled["bytes"] <= 12_000_000, settled  # issue 26: at most 12 MB on disk

    before = len(site.requests())
    collector.clear()
    page.goto(page_url)
    wait_ready(page)

    assert boot_path(page) == "cache"
    assert any("restored from a snapshot (Cache Storage)" in n for n in boot_notes(page_log))
    later = [r.path for r in site.requests()[before:]]
    assert not [p for p in later if p.endswith(".whl")], later  # nothing but the cache
    # the dedup mark from the first view holds: the same ad on the same session is a dup
    page.click("#ad")
    page_log.wait_outcome(page, "deduplicated", url=url)
    assert wait_settled(page)["encoding"] == "gzip"
    assert cached_names(page) == GZIP_ENTRY


def test_an_entry_an_earlier_page_left_uncompressed_is_gzipped_by_the_next(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """A shopper who leaves between the store and the gzip leaves the entry raw: it still
    restores, and the next Worker that reads it gzips it from the bytes it read."""
    url, page_url = first_visit(page, site, collector, make_page, ad_html, "ad-snap-raw")
    wait_ready(page)
    assert wait_settled(page)["encoding"] == "gzip"
    page.evaluate(UNCOMPRESS_ENTRY)
    assert cached_names(page) == RAW_ENTRY
    raw = page.evaluate(CACHED_BYTES)

    page.goto(page_url)
    wait_ready(page)

    assert boot_path(page) == "cache"
    settled = wait_settled(page)
    assert settled["encoding"] == "gzip", settled
    assert cached_names(page) == GZIP_ENTRY
    assert page.evaluate(CACHED_BYTES) == settled["bytes"] < raw / 2
    page.goto(page_url)  # and the gzipped entry restores
    wait_ready(page)
    assert boot_path(page) == "cache"
    click_and_assert_delivered(page, page_log, collector, url)


# Counts the page's synchronous WebAssembly compiles, with when they ran.
COUNT_COMPILES = """(() => {
  const compiles = (window.__syncCompiles = []);
  WebAssembly.Module = new Proxy(WebAssembly.Module, {
    construct(target, args, newTarget) {
      compiles.push(performance.now());
      return Reflect.construct(target, args, newTarget);
    },
  });
})();"""

COMPILES_WHILE_RESTORING = """() => {
  const start = performance.getEntriesByName("adtracker:restore:imported")[0].startTime;
  return window.__syncCompiles.filter((t) => t >= start).length;
}"""


def test_the_page_compiles_no_webassembly_while_it_restores(
    page, site, collector, make_page, ad_html, wait_ready
):
    """The Worker compiles the wasm, the .so and the glue's small modules (function-table
    wrappers, Python's trampoline) and hands them over (their bytes are cached with the
    snapshot): WebKit took up to 0.9 s for the page's first synchronous compile there."""
    page.add_init_script(COUNT_COMPILES)
    _, page_url = first_visit(page, site, collector, make_page, ad_html, "ad-snap-compiles")
    wait_ready(page)
    assert boot_path(page) == "worker"
    assert page.evaluate(COMPILES_WHILE_RESTORING) == 0
    assert wait_stored(page) == "stored"

    page.goto(page_url)
    wait_ready(page)
    assert boot_path(page) == "cache"
    assert page.evaluate(COMPILES_WHILE_RESTORING) == 0
    # tracker.js's probe (may this page compile at all?), before it imports boot.mjs
    assert page.evaluate("window.__syncCompiles.length") == 1


def test_worker_blocked_by_csp_boots_normally(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    url = click_url(collector, "ad-snap-csp")
    csp = "script-src 'self' 'wasm-unsafe-eval'; worker-src 'none'"
    page.goto(
        make_page(site, collector, ad_html(url, id="ad"), headers={"Content-Security-Policy": csp})
    )
    wait_ready(page)

    assert boot_path(page) == "normal"
    assert any("snapshot path not taken" in n for n in boot_notes(page_log)), boot_notes(page_log)
    click_and_assert_delivered(page, page_log, collector, url)


def test_no_worker_boots_normally(page, page_log, site, collector, make_page, ad_html, wait_ready):
    page.add_init_script("delete window.Worker")
    url, _ = first_visit(page, site, collector, make_page, ad_html, "ad-snap-noworker")
    wait_ready(page)

    assert boot_path(page) == "normal"
    assert any("this browser has no Worker" in n for n in boot_notes(page_log))
    click_and_assert_delivered(page, page_log, collector, url)


def wait_dropped(page: Page) -> None:
    """The page told the Worker to drop the snapshot it could not restore."""
    page.wait_for_function(
        "() => performance.getEntriesByName('adtracker:snapshot-dropped').length",
        timeout=STORE_TIMEOUT_MS,
    )


def cached_then_reload(page: Page, page_url: str, suffix: str, script: str) -> None:
    assert wait_stored(page) == "stored"
    assert wait_settled(page)["encoding"] == "gzip"
    replace_cached(page, suffix, script)
    page.goto(page_url)


def test_corrupt_cache_entry_boots_normally_and_is_dropped(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    url, page_url = first_visit(page, site, collector, make_page, ad_html, "ad-snap-corrupt")
    wait_ready(page)
    cached_then_reload(page, page_url, "/snapshot.pages.gz", "async () => 'not a snapshot'")
    wait_ready(page)

    assert boot_path(page) == "normal"
    notes = boot_notes(page_log)
    assert any("snapshot cache unusable" in n for n in notes), notes
    assert cached_urls(page) == []  # dropped: the next view makes a fresh one
    click_and_assert_delivered(page, page_log, collector, url)


def test_version_mismatch_in_the_cache_boots_normally(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    url, page_url = first_visit(page, site, collector, make_page, ad_html, "ad-snap-version")
    wait_ready(page)
    cached_then_reload(
        page,
        page_url,
        "/meta.json",
        "async (old, meta) => JSON.stringify({...meta, version: '0.0.1'})",
    )
    wait_ready(page)

    assert boot_path(page) == "normal"
    assert any("another version" in n for n in boot_notes(page_log)), boot_notes(page_log)
    click_and_assert_delivered(page, page_log, collector, url)


def test_function_table_mismatch_boots_normally(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """The recorded wasm table length differs from the restored one: not trusted."""
    url, page_url = first_visit(page, site, collector, make_page, ad_html, "ad-snap-table")
    wait_ready(page)
    cached_then_reload(
        page,
        page_url,
        "/meta.json",
        "async (old, meta) => JSON.stringify({...meta, table: meta.table + 1})",
    )
    wait_ready(page)

    assert boot_path(page) == "normal"
    assert any("function table" in n for n in boot_notes(page_log)), boot_notes(page_log)
    wait_dropped(page)
    assert cached_urls(page) == []  # never served again
    click_and_assert_delivered(page, page_log, collector, url)


def test_restore_throwing_boots_normally(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """A cached snapshot of the right size that Pyodide refuses (all zeros: bad magic number)."""
    url, page_url = first_visit(page, site, collector, make_page, ad_html, "ad-snap-magic")
    wait_ready(page)
    cached_then_reload(page, page_url, "/snapshot.pages.gz", GZIP_OF_ZEROS)
    wait_ready(page)

    assert boot_path(page) == "normal"
    assert any("invalid magic number" in n for n in boot_notes(page_log)), boot_notes(page_log)
    wait_dropped(page)
    assert cached_urls(page) == []  # never served again
    click_and_assert_delivered(page, page_log, collector, url)


def test_cache_storage_missing_still_restores_from_the_worker(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    """Private modes: no Cache Storage in the Worker. Each view makes its own snapshot."""
    page.add_init_script("window.__adtrackerTestFaults = 'no-cache'")
    url, _ = first_visit(page, site, collector, make_page, ad_html, "ad-snap-nocache")
    wait_ready(page)

    assert boot_path(page) == "worker"
    assert wait_stored(page) == "not-stored"
    assert cached_urls(page) == []
    click_and_assert_delivered(page, page_log, collector, url)


def test_cache_storage_throwing_still_restores_from_the_worker(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    page.add_init_script("window.__adtrackerTestFaults = 'cache-throws'")
    url, _ = first_visit(page, site, collector, make_page, ad_html, "ad-snap-cachethrows")
    wait_ready(page)

    assert boot_path(page) == "worker"
    assert wait_stored(page) == "not-stored"
    click_and_assert_delivered(page, page_log, collector, url)


def test_quota_exceeded_leaves_no_partial_entry(
    page, page_log, site, collector, make_page, ad_html, wait_ready
):
    page.add_init_script("window.__adtrackerTestFaults = 'quota'")
    url, _ = first_visit(page, site, collector, make_page, ad_html, "ad-snap-quota")
    wait_ready(page)

    assert boot_path(page) == "worker"
    assert wait_stored(page) == "not-stored"
    detail = page.evaluate(
        "() => performance.getEntriesByName('adtracker:snapshot-not-stored')[0].detail"
    )
    assert "injected by a test" in detail["reason"], detail
    assert cached_urls(page) == []
    click_and_assert_delivered(page, page_log, collector, url)
