"""Rules the JS loader (web/src/tracker.js) repeats from Python, pinned to one source.

The loader runs before Python exists, so it cannot import these values; instead this
test reads its source and fails when the two drift apart.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from adtracker.base import keys
from adtracker.browser import markup

ROOT = Path(__file__).resolve().parents[2]
LOADER = (ROOT / "web" / "src" / "tracker.js").read_text(encoding="utf-8")


def _record_function() -> str:
    """The body of the loader's pre-boot ``record(e)`` click listener."""
    found = re.search(r"\n(\s*)function record\(e\) \{\n(.*?)\n\1\}\n", LOADER, re.S)
    assert found, "web/src/tracker.js has no pre-boot function record(e)"
    return found.group(2)


def _python_constant(relative: str, name: str) -> object:
    """A module-level constant read from source (the module imports ``js``: not on CPython)."""
    tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                assert node.value is not None
                return ast.literal_eval(node.value)
    raise AssertionError(f"{relative} defines no {name}")


def test_preboot_key_is_the_storage_key_python_takes_over() -> None:
    assert re.findall(r'PREBOOT_KEY = "([^"]*)"', LOADER) == [keys.PREBOOT]


def test_preboot_click_rule_is_pythons() -> None:
    record = _record_function()
    assert re.findall(r'\.matches\("([^"]*)"\)', record) == [markup.CLICK_SELECTOR]
    assert re.findall(r'getAttribute\("([^"]*)"\)', record) == [markup.CLICK_ATTR]
    # Same walk as adtracker/browser/dom.py: the composed path, through open shadow roots.
    assert "composedPath()" in record
    assert "closest(" not in record


def test_loader_converts_to_python_as_deep_as_python_does() -> None:
    depth = _python_constant("adtracker/browser/ffi.py", "TO_PY_DEPTH")
    assert re.findall(r"depth: (\d+)", LOADER) == [str(depth)]
