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

Emscripten's glue (``pyodide.asm.mjs``) gets these changes for the page's main thread, which
evaluates it and sets up the instance while the shopper may be typing (measured at 4× CPU
throttling, issue 17; docs/startup-snapshot.md):

- V8's explicit compile hint (``//# allFunctionsCalledOnLoad`` on its first line): the glue's
  functions, nearly all called during start-up, are compiled on a background thread while
  the file streams in, instead of on the main thread at first call (the task that runs
  Emscripten's module factory: ~320 → ~220 ms at 4×). Other engines ignore the comment.
- ``convertJsFunctionToWasm`` compiles its tiny wrapper module once per signature instead
  of once per JS function it puts in the table (the dynamic linker calls it for hundreds
  of symbols while the instance is set up; the module's bytes depend on the signature
  only). Same wrappers, same table. Python's call trampoline goes through the same cache
  (``compiledOnce``). The caller may give the cache (``glueModules``) and collect each
  module's bytes (``glueModuleBytes``): the Worker compiles these ~60 modules and hands
  them to the page with the rest, because the page's first synchronous compile while it
  restored took WebKitGTK 2.50 up to 700–900 ms (measured with marks in the glue; 0–1 ms
  on a plain page).
- The shared memory behind Pyodide's ``syncSleep`` (used only by Node's stdin, to retry
  after ``EAGAIN``) is made when it is first needed. Made while the factory runs, reading
  the ``SharedArrayBuffer`` of that memory took ~120 ms at 4× in Chromium 156 on a page
  that is not cross-origin isolated (measured with marks in the glue; why Chromium takes
  that long was not pinned down): most of the factory's task, which went from ~140–160 to
  ~35–45 ms at 4×. A failure to make it now returns ``false`` (no sleep), as
  ``Atomics.wait`` failing did.
- Pyodide asks whether the page may compile WebAssembly (a CSP without
  ``'wasm-unsafe-eval'`` forbids it) by compiling an empty module while the factory runs.
  On the restoring page WebKitGTK 2.50 took 0–900 ms for that one call (the same cause).
  ``tracker.js`` has already asked (``wasmBlocked``) before the restore starts, so the
  page passes the answer (``canConstructWasm``).
- The set-up of the instance's exports (``receiveInstance``) may pause between slices of
  its work (``setupPause``, given only by the page's restore; ``receiveInstanceInSlices``
  makes the same calls in the same order): it ran as one task of ~200–285 ms at 4×.

And one for pages that polluted ``Object.prototype`` with an enumerable member (a
prototype-pollution bug, an old library): esbuild's ``__export`` helper in the glue walks
its getters with ``for … in``, so it met the page's member too and ``defineProperty``
threw ("Getter must be a function"): Python could not start on such a page. It now walks
``Object.keys`` (docs/beside-other-scripts.md).

Each edit must match the published file exactly once; a Pyodide update that changes those
lines fails the build here (and tests/unit/test_pyodide_patch.py), naming the edit to redo.
"""

from __future__ import annotations

import json
import subprocess
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
        "var module=compiledOnce(sig,bytes);",
    ),
    Edit(
        "compiledOnce: the glue's small modules, compiled once each, or given by the caller",
        "var convertJsFunctionToWasm=(func,sig)=>{",
        # By key (a wrapper's signature, "trampoline"); the cache may be the caller's
        # (glueModules: the page gets the Worker's, compiled off its thread), and the
        # caller may collect each new module's bytes (glueModuleBytes: the Worker caches
        # them with the snapshot and compiles them again from there).
        "function compiledOnce(key,bytes){"
        "var modules=compiledOnce.modules??=Module.glueModules??new Map;"
        "var module=modules.get(key);"
        "if(!module){module=new WebAssembly.Module(bytes);modules.set(key,module);"
        "if(Module.glueModuleBytes)Module.glueModuleBytes[key]=Array.from(bytes)}return module}"
        "var convertJsFunctionToWasm=(func,sig)=>{",
    ),
    Edit(
        "getWasmTrampolineModule: Python's call trampoline through compiledOnce",
        "function getWasmTrampolineModule(){return new WebAssembly.Module(hexStringToUTF8Array(",
        'function getWasmTrampolineModule(){return compiledOnce("trampoline",hexStringToUTF8Array(',
    ),
    Edit(
        "receiveInstance: the exports' set-up in slices when the caller gives setupPause",
        "function receiveInstance(instance,module){wasmExports=instance.exports;",
        "function receiveInstance(instance,module){if(Module.setupPause)"
        "return receiveInstanceInSlices(instance,module,Module.setupPause);"
        "wasmExports=instance.exports;",
    ),
    Edit(
        "receiveInstanceInSlices: receiveInstance's steps, the same order, a pause between",
        "function receiveInstantiationResult(result){",
        # The same calls as receiveInstance, in the same order (the function table's
        # layout, which the snapshot's function pointers depend on, is the order of
        # updateGOT's addFunction calls): mergeLibSymbols and updateGOT each walk the
        # 8,560 exports, so they walk them SLICE names at a time. loadDylibs' check of
        # every GOT entry (reportUndefinedSymbols) gets a task of its own: pause(true).
        "async function receiveInstanceInSlices(instance,module,pause){"
        "wasmExports=instance.exports;var origExports=wasmExports;"
        "var names=Object.keys(origExports),SLICE=512;"
        "var slices=function*(){for(var i=0;i<names.length;){var part={};"
        "for(var end=Math.min(i+SLICE,names.length);i<end;i++)part[names[i]]=origExports[names[i]];"
        "yield part}};"
        'for(var part of slices()){mergeLibSymbols(part,"main");await pause()}'
        "var metadata=getDylinkMetadata(module);if(metadata.neededDynlibs){"
        "dynamicLibraries=metadata.neededDynlibs.concat(dynamicLibraries)}"
        "wasmExports=applySignatureConversions(wasmExports);await pause();"
        "assignWasmExports(wasmExports);await pause();"
        "for(var part of slices()){updateGOT(part);await pause()}await pause(true);"
        "LDSO.init();loadDylibs();updateMemoryViews();return wasmExports}"
        "function receiveInstantiationResult(result){",
    ),
    Edit(
        "syncSleep: its shared memory made when first needed, not while the factory runs",
        "var io=new Int32Array(new WebAssembly.Memory({shared:!0,initial:1,maximum:1}).buffer);"
        "function so(t){try{return Atomics.wait(io,0,0,t),!0}catch{return!1}}",
        "var io;function so(t){try{io??=new Int32Array("
        "new WebAssembly.Memory({shared:!0,initial:1,maximum:1}).buffer);"
        "return Atomics.wait(io,0,0,t),!0}catch{return!1}}",
    ),
    Edit(
        "canConstructWasm: the caller's answer when it gives one (no empty module compiled)",
        "var canConstructWasm=true;"
        "try{new WebAssembly.Module(new Uint8Array([0,97,115,109,1,0,0,0]))}"
        "catch(e){canConstructWasm=false}",
        "var canConstructWasm=Module.canConstructWasm??true;if(Module.canConstructWasm===undefined)"
        "try{new WebAssembly.Module(new Uint8Array([0,97,115,109,1,0,0,0]))}"
        "catch(e){canConstructWasm=false}",
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


#: Emscripten's module factory, the glue's one top-level async function.
FACTORY = "_createPyodideModule"
#: The factory's body may pause between two of its top-level statements about this often
#: (in characters of source); the caller decides whether a pause is due (boot.mjs: a task
#: boundary once 30 ms of work have run). WebKit runs the body as one task of 65–160 ms
#: on a first visit (JavaScriptCore compiles its functions as they are first called).
PAUSE_EVERY_CHARS = 4096
#: The pause, only when the caller gives ``setupPause`` (the page's restore); without it
#: the factory runs exactly as published, in one go.
FACTORY_PAUSE = ";if(moduleArg.setupPause)await moduleArg.setupPause();"
#: The factory's last part instantiates the wasm; no pause is put after it.
FACTORY_TAIL = "var wasmExports;wasmExports=await (createWasm());"
STATEMENTS_TOOL = Path(__file__).resolve().parents[1] / "web" / "tools" / "glue_statements.mjs"


def statement_ends(path: Path) -> tuple[tuple[int, int], list[int]]:
    """The factory's body (start, end) in ``path`` and where each of its top-level
    statements ends (web/tools/glue_statements.mjs, with TypeScript's parser)."""
    result = subprocess.run(
        ["node", str(STATEMENTS_TOOL), str(path), FACTORY], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BuildError(f"{path.name}: cannot find the factory's statements: {result.stderr}")
    found = json.loads(result.stdout)
    return (found["body"][0], found["body"][1]), found["ends"]


def with_factory_pauses(text: str, body: tuple[int, int], ends: list[int]) -> str:
    """``text`` with FACTORY_PAUSE after a top-level statement of the factory's body every
    PAUSE_EVERY_CHARS or so, up to FACTORY_TAIL; BuildError if the glue is not laid out
    as expected (a Pyodide update)."""
    tail = text.find(FACTORY_TAIL)
    if text.count(FACTORY_TAIL) != 1 or not body[0] < tail < body[1]:
        raise BuildError(f"pyodide.asm.mjs: '{FACTORY_TAIL}' is not in {FACTORY}'s body once")
    if not text[: body[0]].endswith(f"async function {FACTORY}(moduleArg={{}})"):
        raise BuildError(f"pyodide.asm.mjs: {FACTORY}'s argument is no longer moduleArg")
    cuts, last = [], body[0]
    for end in ends:
        if end > tail:
            break
        if end - last >= PAUSE_EVERY_CHARS:
            cuts.append(end)
            last = end
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    return FACTORY_PAUSE.join(pieces)


def patch_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.name != "pyodide.asm.mjs":
        path.write_text(patched(text), encoding="utf-8")
        return
    path.write_text(patched_glue(text), encoding="utf-8")
    body, ends = statement_ends(path)
    path.write_text(with_factory_pauses(path.read_text(encoding="utf-8"), body, ends), "utf-8")
