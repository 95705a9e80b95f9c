"""A small patch to the pinned Pyodide's loader (``pyodide.mjs``), applied by the build.

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
and ``micropip`` are unaffected. Each edit must match the published file exactly once; a
Pyodide update that changes those lines fails the build here (and
tests/unit/test_pyodide_patch.py), naming the edit to redo.
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

#: Written at the top of the patched file, so a reader of the dist knows.
BANNER = "/* patched by adtracker's build (buildtools/pyodide_patch.py) */\n"


def patched(text: str) -> str:
    """``text`` (Pyodide's pyodide.mjs) with every edit applied; BuildError if one does
    not match exactly once."""
    for edit in EDITS:
        count = text.count(edit.old)
        if count != 1:
            raise BuildError(
                f"pyodide.mjs: the patch '{edit.why}' matches {count} times, not once: "
                "Pyodide's loader changed; redo the edit in buildtools/pyodide_patch.py "
                "for this release (or drop it if Pyodide now has the option)"
            )
        text = text.replace(edit.old, edit.new)
    return BANNER + text


def patch_file(path: Path) -> None:
    path.write_text(patched(path.read_text(encoding="utf-8")), encoding="utf-8")
