"""Small patches to the pinned Pyodide (``pyodide.mjs`` and its glue), applied by the build.

Why it exists: on a first visit the snapshot Worker has already fetched the lock file,
``pyodide.asm.wasm`` (compiled) and the standard library when it starts Pyodide, and the
page restores the snapshot from what the Worker hands it. Pyodide 314's ``loadPyodide``
would fetch the wasm and the standard library again (the lock file has an option,
``lockFileContents``; these two have none): three requests per file on a host that sends
``no-cache``. The patch adds two options, used only by ``web/src/runtime/``:

- ``instantiateWasm``: when given, it replaces Pyodide's own hook, which fetches
  ``pyodide.asm.wasm`` as soon as the settings are made, even when a caller's
  ``createPyodideModule`` overrides that hook later;
- ``stdLibURL`` may be the standard library's bytes (a ``Uint8Array``) instead of a URL.

Without either option Pyodide behaves exactly as published, so the ordinary boot, PyScript
and ``micropip`` are unaffected.

Emscripten's glue (``pyodide.asm.mjs``) gets two changes for the page's main thread, which
evaluates it and sets up the instance while the shopper may be typing (measured at 4× CPU
throttling, issue 17; docs/startup-snapshot.md):

- V8's explicit compile hint (``//# allFunctionsCalledOnLoad`` on its first line): the glue's
  functions, nearly all called during start-up, are compiled on a background thread while
  the file streams in, instead of on the main thread at first call (the task that runs
  Emscripten's module factory: ~320 → ~220 ms at 4×). Other engines ignore the comment.
- ``convertJsFunctionToWasm`` compiles its tiny wrapper module once per signature instead
  of once per JS function it puts in the table (the dynamic linker calls it for hundreds
  of symbols while the instance is set up; the module's bytes depend on the signature
  only). Same wrappers, same table.

And one for pages that polluted ``Object.prototype`` with an enumerable member (a
prototype-pollution bug, an old library): esbuild's ``__export`` helper in the glue walks
its getters with ``for … in``, so it met the page's member too and ``defineProperty``
threw ("Getter must be a function"): Python could not start on such a page. It now walks
``Object.keys`` (docs/beside-other-scripts.md).

Each edit must match the published file exactly once; a Pyodide update that changes those
lines fails the build here (and tests/unit/test_pyodide_patch.py), naming the edit to redo.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from buildtools.common import BuildError


class Edit(NamedTuple):
    why: str
    old: str
    new: str


#: The edits, against pyodide@314.0.7's minified pyodide.mjs.
EDITS = (
    Edit(
        "createSettings: a caller's instantiateWasm replaces Pyodide's (no wasm fetch)",
        "instantiateWasm:Ie(e.indexURL)};return n}",
        "instantiateWasm:e.instantiateWasm??Ie(e.indexURL)};return n}",
    ),
    Edit(
        "installStdlib: stdLibURL may be the standard library's bytes (no fetch)",
        "function he(e){let t=j(e);return async n=>{n.API.pyVersionTuple=",
        'function he(e){let t=typeof e=="string"?j(e):Promise.resolve(e);'
        "return async n=>{n.API.pyVersionTuple=",
    ),
)

#: The edits, against pyodide@314.0.7's pyodide.asm.mjs (Emscripten's glue).
GLUE_EDITS = (
    Edit(
        "convertJsFunctionToWasm: one compiled wrapper module per signature",
        "var module=new WebAssembly.Module(bytes);",
        "var module=(convertJsFunctionToWasm.modules??=new Map).get(sig);"
        "if(!module){module=new WebAssembly.Module(bytes);"
        "convertJsFunctionToWasm.modules.set(sig,module)}",
    ),
    Edit(
        "esbuild's __export: the module's own names only, not Object.prototype's",
        "var __export=(target,all)=>{for(var name in all)__defProp(",
        "var __export=(target,all)=>{for(var name of Object.keys(all))__defProp(",
    ),
)

#: Written at the top of the patched file, so a reader of the dist knows.
BANNER = "/* patched by adtracker's build (buildtools/pyodide_patch.py) */\n"
#: V8's explicit compile hint; it must be the file's first line.
COMPILE_HINT = "//# allFunctionsCalledOnLoad\n"


def patched(text: str, edits: tuple[Edit, ...] = EDITS, name: str = "pyodide.mjs") -> str:
    """``text`` (Pyodide's ``name``) with every edit applied; BuildError if one does not
    match exactly once."""
    for edit in edits:
        count = text.count(edit.old)
        if count != 1:
            raise BuildError(
                f"{name}: the patch '{edit.why}' matches {count} times, not once: "
                "Pyodide changed; redo the edit in buildtools/pyodide_patch.py "
                "for this release (or drop it if Pyodide now has the option)"
            )
        text = text.replace(edit.old, edit.new)
    return BANNER + text


def patched_glue(text: str) -> str:
    """Emscripten's glue with its edits, the compile hint first."""
    return COMPILE_HINT + patched(text, GLUE_EDITS, "pyodide.asm.mjs")


def patch_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    out = patched_glue(text) if path.name == "pyodide.asm.mjs" else patched(text)
    path.write_text(out, encoding="utf-8")
