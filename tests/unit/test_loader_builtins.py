"""The loader's captured built-ins (web/src/builtins.js), run under Node.

The e2e tests (tests/e2e/test_beside_other_scripts.py) run the same cases in a browser;
these pin the rules themselves: what is captured survives a later patch, a built-in found
already replaced is named once, and JSON ignores a page's toJSON methods.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.node import STORAGE_JS, run_node

BUILTINS = (Path(__file__).resolve().parents[2] / "web" / "src" / "builtins.js").read_text("utf-8")

#: A window with a built-in (native code) for fetch, as a browser's, and a Storage class
#: (Node has no localStorage; Node's own fetch is written in JS).
FAKE_WINDOW = """
const nativeFetch = Promise.resolve.bind(Promise);
const w = { fetch: nativeFetch, Storage, localStorage: new Storage() };
"""


def _node(body: str) -> Any:
    return run_node(f"{BUILTINS}\n{STORAGE_JS}\n{FAKE_WINDOW}\nconst notes = [];\n{body}")


PROTOTYPE_JS = (
    "Array.prototype.toJSON = function () { return '[' + this.join(', ') + ']'; };"
    "String.prototype.toJSON = function () { return '\"' + this + '\"'; };"
)
LIST = [{"u": "https://e.example/v1/beacon/click/a?pos=1", "t": 1}, {"u": "b", "t": 2}]


@pytest.mark.parametrize("when", ["before", "after"])
def test_json_ignores_a_pages_tojson(when: str) -> None:
    before, after = (PROTOTYPE_JS, "") if when == "before" else ("", PROTOTYPE_JS)
    out = _node(
        f"{before}\nconst c = captureBuiltins(w, notes);\n{after}\n"
        f"const text = c.stringify({json.dumps(LIST)});\n"
        "console.log(JSON.stringify({text, plain: JSON.stringify([1]), back: c.parse(text)},"
        " function (k) { return this[k]; }));"
    )
    assert json.loads(out["text"]) == LIST
    assert out["back"] == LIST
    assert out["plain"] == '"[1]"'  # the page's own JSON really is broken by it


def test_a_later_patch_changes_nothing_captured() -> None:
    out = _node(
        "const c = captureBuiltins(w, notes);\n"
        "const patchedFetch = () => { throw new Error('patched'); };\n"
        "w.fetch = patchedFetch;\n"
        "Storage.prototype.setItem = function () { throw new Error('patched'); };\n"
        "c.storage.setItem('adtracker:k', 'v');\n"
        "console.log(JSON.stringify({\n"
        "  read: c.storage.getItem('adtracker:k'), length: c.storage.length,\n"
        "  key: c.storage.key(0), fetchWorks: typeof c.fetch === 'function',\n"
        "  calls: c.fetch('data:,ok').then ? 'promise' : 'other',\n"
        "  fetchNotes: notes.filter((n) => n.startsWith('window.fetch')) }));"
    )
    assert out == {
        "read": "v",
        "length": 1,
        "key": "adtracker:k",
        "fetchWorks": True,
        "calls": "promise",
        "fetchNotes": [],
    }


def test_a_builtin_found_replaced_is_named_once() -> None:
    out = _node(
        "w.fetch = function (input, init) { return nativeFetch(input, init); };\n"
        "const c = captureBuiltins(w, notes);\n"
        "console.log(JSON.stringify(notes.filter((n) => n.startsWith('window.fetch'))));"
    )
    assert len(out) == 1 and "is not the browser's own" in out[0], out


def test_without_storage_nothing_is_captured_for_it() -> None:
    out = _node(
        "const blocked = { fetch: nativeFetch, Storage,"
        " get localStorage() { throw new Error('SecurityError'); } };\n"
        "const c = captureBuiltins(blocked, notes);\n"
        "console.log(JSON.stringify({storage: c.storage === undefined, notes}));"
    )
    assert out == {"storage": True, "notes": []}
