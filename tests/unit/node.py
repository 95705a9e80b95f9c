"""Running the loader's JavaScript under Node for the unit tests: one runner, one fake
Storage (Node has no localStorage)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

#: A Storage class as a browser's (``new Storage()`` for a fresh localStorage).
STORAGE_JS = """
class Storage {
  constructor() { this._d = new Map(); }
  getItem(k) { return this._d.has(k) ? this._d.get(k) : null; }
  setItem(k, v) { this._d.set(k, String(v)); }
  removeItem(k) { this._d.delete(k); }
  key(i) { return [...this._d.keys()][i] ?? null; }
  get length() { return this._d.size; }
}
"""


def run_node(script: str, *, module: bool = False) -> Any:
    """Run ``script`` under Node (as an ES module if ``module``); return the JSON it
    printed (skips without Node)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (build.py needs it too)")
    kind = ["--input-type=module"] if module else []
    out = subprocess.run([node, *kind, "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)
