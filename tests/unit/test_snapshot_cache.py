"""The snapshot's Cache Storage entry (web/src/runtime/snapshot-cache.mjs), run under Node
against an in-memory cache with the Cache API's shape.

Each scenario stores an entry, compresses it or not, provokes what a real cache does to
it (another tab swapping the bodies mid-read, a full disk, a Worker ended halfway), and
reports the keys left and what a reader gets back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.node import run_node

RUNTIME = Path(__file__).resolve().parents[2] / "web/src/runtime"

SCRIPT = """
const { compress, deleteRaw, readEntry, store } = await import(%(cache)s);
const { cacheKeys } = await import(%(shared)s);

class FakeCache {
  constructor() { this.bodies = new Map(); this.failPut = null; }
  async match(key) {
    const blob = this.bodies.get(key);
    return blob ? new Response(blob) : undefined;
  }
  async put(key, response) {
    if (this.failPut && this.failPut(key)) throw new Error("QuotaExceededError");
    this.bodies.set(key, await response.blob());
  }
  async delete(key) { return this.bodies.delete(typeof key === "string" ? key : key.url); }
  async keys() { return [...this.bodies.keys()].map((url) => ({ url })); }
}

const keys = cacheKeys("https://shop.test/r/", "0.29.0", "ab".repeat(32));
const names = (cache) => [...cache.bodies.keys()].map((k) => k.slice(keys.root.length)).sort();
// A heap of 64 pages, every third one non-zero, and a files bundle.
const heap = new Uint8Array(64 * 4096);
for (let p = 0; p < 64; p += 3) heap.fill(p + 1, p * 4096, p * 4096 + 100);
const files = new TextEncoder().encode("site-packages ".repeat(5000));

async function stored() {
  const cache = new FakeCache();
  await cache.put(keys.root.replace("/0.29.0/", "/0.28.0/") + "meta.json", new Response("{}"));
  const meta = { format: 5, filesLength: files.length };
  const written = await store(cache, keys, meta, heap.slice(), files.slice());
  return { cache, meta, written };
}

function same(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }

async function read(cache) {
  const got = await readEntry(cache, keys, (meta) => Promise.resolve(meta.encoding || "raw"));
  if (!got) return null;
  return {
    encoding: got.meta.encoding || null,
    alongside: await got.alongside,
    pagesLength: got.pages.length,
    filesSame: same(got.files, files),
    runs: got.meta.runs.length,
  };
}

const out = {};
{ // stored raw, read raw
  const { cache, written } = await stored();
  out.raw = { names: names(cache), read: await read(cache), bytes: written.bytes };
}
{ // stored, then compressed
  const { cache, meta, written } = await stored();
  const bytes = await compress(cache, keys, meta, written.pages, written.files);
  out.compressed = { names: names(cache), read: await read(cache), bytes, raw: written.bytes };
}
{ // another tab compresses between this reader's match of meta and of its bodies
  const { cache, meta, written } = await stored();
  const realMatch = cache.match.bind(cache);
  let swapped = false;
  cache.match = async (key) => {
    const response = await realMatch(key);
    if (key === keys.meta && !swapped) {
      swapped = true; // the reader holds the raw meta; the raw bodies go now
      await compress(cache, keys, meta, written.pages, written.files);
    }
    return response;
  };
  out.raced = { names: names(cache), read: await read(cache) };
  out.raced.names = names(cache);
}
{ // the disk is full when the gzip bodies are written: the raw entry stays, whole
  const { cache, meta, written } = await stored();
  cache.failPut = (key) => key === keys.filesGz;
  let error = null;
  try {
    await compress(cache, keys, meta, written.pages, written.files);
  } catch (e) {
    error = e.message;
  }
  out.full = { names: names(cache), read: await read(cache), error };
}
{ // a Worker ended after the gzip meta but before deleting the raw bodies
  const { cache, meta, written } = await stored();
  const realDelete = cache.delete.bind(cache);
  cache.delete = async () => false; // the deletes never happen
  await compress(cache, keys, meta, written.pages, written.files);
  cache.delete = realDelete;
  const before = names(cache);
  await deleteRaw(cache, keys);
  out.halfway = { before, after: names(cache), read: await read(cache) };
}
{ // nothing stored; a body evicted
  const cache = new FakeCache();
  const none = await read(cache);
  const { cache: evicted } = await stored();
  await evicted.delete(keys.files);
  out.missing = { none, evicted: await read(evicted) };
}
console.log(JSON.stringify(out));
"""

RAW = ["files.bin", "meta.json", "snapshot.pages"]
GZ = ["files.bin.gz", "meta.json", "snapshot.pages.gz"]


@pytest.fixture(scope="module")
def results() -> dict:
    script = SCRIPT % {
        "cache": json.dumps((RUNTIME / "snapshot-cache.mjs").as_uri()),
        "shared": json.dumps((RUNTIME / "snapshot-shared.mjs").as_uri()),
    }
    return run_node(script, module=True)


def test_a_stored_entry_is_read_back_raw_and_earlier_runtimes_are_dropped(results: dict) -> None:
    raw = results["raw"]
    assert raw["names"] == RAW  # the 0.28.0 entry is gone
    assert raw["read"] == {
        "encoding": None,
        "alongside": "raw",
        "pagesLength": 22 * 4096,  # the non-zero pages only
        "filesSame": True,
        "runs": 22,
    }
    assert 0 < raw["bytes"] - (22 * 4096 + 70_000) < 1000  # and meta


def test_compress_keeps_only_the_gzip_bodies_and_reads_back_the_same(results: dict) -> None:
    done = results["compressed"]
    assert done["names"] == GZ
    assert done["read"] == {**results["raw"]["read"], "encoding": "gzip", "alongside": "gzip"}
    assert 0 < done["bytes"] < done["raw"] / 10


def test_a_reader_that_races_the_swap_reads_meta_again(results: dict) -> None:
    raced = results["raced"]
    assert raced["names"] == GZ
    assert raced["read"] is not None and raced["read"]["encoding"] == "gzip"
    assert raced["read"]["filesSame"]


def test_a_full_disk_leaves_the_raw_entry_whole_and_no_half_copy(results: dict) -> None:
    full = results["full"]
    assert full["error"] == "QuotaExceededError"
    assert full["names"] == RAW
    assert full["read"]["encoding"] is None and full["read"]["filesSame"]


def test_raw_bodies_left_beside_a_gzip_meta_are_deleted(results: dict) -> None:
    halfway = results["halfway"]
    assert halfway["before"] == sorted(RAW + GZ[:1] + GZ[2:])
    assert halfway["after"] == GZ
    assert halfway["read"]["encoding"] == "gzip"


def test_no_entry_or_a_missing_body_reads_as_none(results: dict) -> None:
    assert results["missing"] == {"none": None, "evicted": None}
