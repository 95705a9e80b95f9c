"""The snapshot's zero-page elision (web/src/runtime/snapshot-pages.mjs), run under Node.

Each case builds a buffer from a recipe of pages (``"z"`` a zero page, ``"x"`` a page
with one non-zero byte at a given place, a short tail), elides it, restores it, and
checks the round trip, the runs and the stored size. Corrupt inputs must throw.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.node import run_node

MODULE = Path(__file__).resolve().parents[2] / "web/src/runtime/snapshot-pages.mjs"
PAGE = 4096

#: (recipe, byteOffset of the view, expected runs as [first page, pages]); a recipe
#: item is "z" (zero page), an int (non-zero byte at that offset in the page), or
#: ("tail", n, nonzero) for a last page of n bytes.
CASES = [
    ([], 0, []),
    (["z", "z"], 0, []),
    ([0, 4095], 0, [[0, 2]]),
    (["z", 17, "z", "z", 2, 3, "z"], 0, [[1, 1], [4, 2]]),
    ([5, "z", ("tail", 10, True)], 0, [[0, 1], [2, 1]]),
    (["z", ("tail", 3, False)], 0, []),
    (["z", 100, ("tail", 7, True)], 1, [[1, 2]]),  # unaligned view: bytewise scan
]

SCRIPT = """
import { PAGE, elideZeroPages, restoreZeroPages } from %(module)s;
const cases = %(cases)s;
const out = [];
for (const [recipe, offset] of cases) {
  const sizes = recipe.map((p) => (Array.isArray(p) ? p[1] : PAGE));
  const length = sizes.reduce((a, b) => a + b, 0);
  const bytes = new Uint8Array(new ArrayBuffer(length + offset), offset, length);
  let at = 0;
  recipe.forEach((p, i) => {
    if (typeof p === "number") bytes[at + p] = 7;
    if (Array.isArray(p) && p[2]) bytes[at + p[1] - 1] = 9;
    at += sizes[i];
  });
  const { blob, runs } = elideZeroPages(bytes);
  const data = new Uint8Array(await blob.arrayBuffer());
  const back = restoreZeroPages(data, runs, length);
  const errors = [];
  const short = data.subarray(0, Math.max(0, data.length - 1));
  for (const bad of [short, new Uint8Array(data.length + 1)]) {
    if (bad.length === data.length) continue;
    try {
      restoreZeroPages(bad, runs, length);
      errors.push(null);
    } catch (e) {
      errors.push(e.message);
    }
  }
  out.push({
    same: back.length === length && back.every((b, i) => b === bytes[i]),
    runs: runs.map(([s, n]) => [s / PAGE, Math.ceil(n / PAGE)]),
    stored: data.length,
    nonzero: runs.reduce((t, [, n]) => t + n, 0),
    errors,
  });
}
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def results() -> list[dict]:
    cases = [[r, off] for r, off, _ in CASES]
    script = SCRIPT % {"module": json.dumps(MODULE.as_uri()), "cases": json.dumps(cases)}
    return run_node(script, module=True)


@pytest.mark.parametrize("index", range(len(CASES)))
def test_zero_pages_round_trip(results: list[dict], index: int) -> None:
    _, _, runs = CASES[index]
    got = results[index]
    assert got["same"], got
    assert got["runs"] == runs, got
    assert got["stored"] == got["nonzero"], got  # only the non-zero pages are kept


@pytest.mark.parametrize("index", [i for i, c in enumerate(CASES) if c[2]])
def test_a_snapshot_of_the_wrong_length_is_refused(results: list[dict], index: int) -> None:
    errors = results[index]["errors"]
    assert errors and all(e and "snapshot" in e for e in errors), errors
