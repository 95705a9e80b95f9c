"""The build's patch to the pinned Pyodide (buildtools/pyodide_patch.py) still applies,
and fails the build, naming the edit, when Pyodide's loader no longer matches."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from buildtools.common import BuildError
from buildtools.pyodide_patch import (
    BANNER,
    COMPILE_HINT,
    EDITS,
    FACTORY_PAUSE,
    FACTORY_TAIL,
    GLUE_EDITS,
    patched,
    patched_glue,
    statement_ends,
    with_factory_pauses,
)

PYODIDE_MJS = (
    Path(__file__).resolve().parents[2] / "web" / "node_modules" / "pyodide" / "pyodide.mjs"
)


GLUE_MJS = PYODIDE_MJS.with_name("pyodide.asm.mjs")


@pytest.fixture(scope="module")
def glue() -> str:
    assert GLUE_MJS.exists(), f"{GLUE_MJS} is missing: run `python3 build.py` (npm ci)"
    return GLUE_MJS.read_text(encoding="utf-8")


def test_the_glue_gets_its_edits_and_the_compile_hint_first(glue: str) -> None:
    out = patched_glue(glue)
    assert out.startswith(COMPILE_HINT + BANNER)
    for edit in GLUE_EDITS:
        assert out.count(edit.new) == 1 and edit.old not in out.replace(edit.new, "")


def test_a_changed_glue_fails_the_build_naming_the_edit(glue: str) -> None:
    edit = GLUE_EDITS[0]
    with pytest.raises(BuildError, match=r"pyodide\.asm\.mjs: the patch 'convertJsFunctionToWasm"):
        patched_glue(glue.replace(edit.old, edit.old.replace("(", "( ")))


@pytest.fixture(scope="module")
def published() -> str:
    assert PYODIDE_MJS.exists(), f"{PYODIDE_MJS} is missing: run `python3 build.py` (npm ci)"
    return PYODIDE_MJS.read_text(encoding="utf-8")


def test_every_edit_applies_once_to_the_pinned_pyodide(published: str) -> None:
    out = patched(published)
    assert out.startswith(BANNER)
    for edit in EDITS:
        assert edit.old not in out
        assert out.count(edit.new) == 1


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.why.split(":")[0])
def test_a_changed_loader_fails_the_build_naming_the_edit(published: str, edit: object) -> None:
    changed = published.replace(edit.old, edit.old.replace("(", "( "))
    with pytest.raises(BuildError, match=edit.why.split(":")[0]):
        patched(changed)


def test_an_edit_matching_twice_fails(published: str) -> None:
    with pytest.raises(BuildError, match="matches 2 times"):
        patched(published + EDITS[0].old)


def test_the_dist_ships_the_patched_loader() -> None:
    dist = Path(__file__).resolve().parents[2] / "web" / "dist"
    if not (dist / "RUNTIME").exists():
        pytest.skip("run python3 build.py first")
    shipped = (dist / (dist / "RUNTIME").read_text().strip() / "pyodide.mjs").read_text()
    assert shipped.startswith(BANNER)
    assert all(edit.new in shipped for edit in EDITS)
    glue = (dist / (dist / "RUNTIME").read_text().strip() / "pyodide.asm.mjs").read_text()
    assert glue.startswith(COMPILE_HINT + BANNER)
    assert all(edit.new in glue for edit in GLUE_EDITS)


# The steps of Emscripten's receiveInstance, in order, as calls in the glue's source.
_SETUP_STEPS = re.compile(
    r"\b(mergeLibSymbols|getDylinkMetadata|applySignatureConversions|assignWasmExports"
    r"|updateGOT|LDSO\.init|loadDylibs|updateMemoryViews)\("
)


def _function_body(text: str, head: str) -> str:
    start = text.index(head) + len(head)
    depth = 1
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i]
    raise AssertionError(f"{head} has no end")


def test_the_sliced_set_up_makes_receive_instances_calls_in_its_order(glue: str) -> None:
    published = _function_body(glue, "function receiveInstance(instance,module){")
    sliced = _function_body(
        patched_glue(glue), "async function receiveInstanceInSlices(instance,module,pause){"
    )
    steps = _SETUP_STEPS.findall(published)
    assert steps[:2] == ["mergeLibSymbols", "getDylinkMetadata"] and len(steps) == 8
    assert _SETUP_STEPS.findall(sliced) == steps
    # Each slice walks the exports in their own order, and a pause follows each.
    assert sliced.count("for(var part of slices())") == 2
    assert sliced.count("await pause(") >= 5


def test_only_a_caller_that_gives_set_up_pause_gets_the_slices(glue: str) -> None:
    receive = _function_body(patched_glue(glue), "function receiveInstance(instance,module){")
    assert receive.startswith(
        "if(Module.setupPause)return receiveInstanceInSlices(instance,module,Module.setupPause);"
    )
    # Otherwise the published body, unchanged.
    assert receive.split(";", 1)[1] == _function_body(
        glue, "function receiveInstance(instance,module){"
    )


FACTORY_RUN = """
import { pathToFileURL } from "node:url";
const [runtime, ask] = process.argv.slice(2);  // the dist's runtime folder, with a "/"
const { loadPyodide } = await import(pathToFileURL(runtime + "pyodide.mjs").href);
const { default: factory } = await import(pathToFileURL(runtime + "pyodide.asm.mjs").href);
let pauses = 0;
const py = await loadPyodide({
  indexURL: runtime,
  stdout: () => {},
  createPyodideModule: (settings) => {
    if (ask === "pause") settings.setupPause = () => (pauses++, Promise.resolve());
    return factory(settings);
  },
});
console.log(JSON.stringify({ sum: py.runPython("sum(range(10))"), pauses }));
process.exit(0);
"""


def _dist_glue() -> Path:
    dist = Path(__file__).resolve().parents[2] / "web" / "dist"
    if not (dist / "RUNTIME").exists():
        pytest.skip("run python3 build.py first")
    return dist / (dist / "RUNTIME").read_text().strip() / "pyodide.asm.mjs"


@pytest.mark.parametrize("ask", ["pause", "no pause"])
def test_the_shipped_glue_starts_python_with_and_without_pauses(tmp_path: Path, ask: str) -> None:
    """Under Node, Pyodide from the dist: the factory and the exports' set-up pause only
    when asked, and Python runs either way (the function table is laid out the same)."""
    script = tmp_path / "run.mjs"
    script.write_text(FACTORY_RUN)
    runtime = str(_dist_glue().parent) + "/"
    done = subprocess.run(
        ["node", str(script), runtime, ask], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["sum"] == 45
    if ask == "pause":
        assert got["pauses"] > 100  # the factory's statements and the exports' slices
    else:
        assert got["pauses"] == 0


def test_factory_pauses_go_between_the_factorys_own_statements(glue: str) -> None:
    text = "async function _createPyodideModule(moduleArg={}){var a=1;var b=2;"
    text += "var wasmExports;wasmExports=await (createWasm());return b}"
    body = (text.index("){") + 1, len(text))
    ends = [text.index(";var b") + 1, text.index(";var wasm") + 1, len(text) - 1]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("buildtools.pyodide_patch.PAUSE_EVERY_CHARS", 1)
        out = with_factory_pauses(text, body, ends)
    # after each statement before the wasm's instantiation, none after it
    assert out.count(FACTORY_PAUSE) == 2
    assert out.replace(FACTORY_PAUSE, "") == text
    assert out.index(FACTORY_PAUSE) == ends[0]
    with pytest.raises(BuildError, match="is not in _createPyodideModule's body once"):
        with_factory_pauses(text.replace(FACTORY_TAIL, ""), body, ends)


def test_the_build_finds_the_published_factorys_statements(tmp_path: Path, glue: str) -> None:
    path = tmp_path / "pyodide.asm.mjs"
    path.write_text(patched_glue(glue))
    body, ends = statement_ends(path)
    text = path.read_text()
    assert text[body[0]] == "{" and text[body[1] - 1] == "}"
    assert len(ends) > 1000 and ends == sorted(ends)
    out = with_factory_pauses(text, body, ends)
    assert 50 < out.count(FACTORY_PAUSE) < 1000
