"""The runtime's ES modules, bundled: web/src/runtime/ keeps one file per job (each at most
300 lines), and the dist ships one module per entry, so a first visit makes no request for
the split: ``boot.mjs`` (the page's side, imported by tracker.js) and
``snapshot-worker.mjs`` (the Worker), each with the parts it imports inlined by esbuild (a
devDependency, pinned in web/package.json). Pyodide's own modules stay separate: both
entries import them from the runtime folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from buildtools.common import BuildError, run

#: The modules every first visit fetches (tracker.js imports boot.mjs; boot.mjs starts
#: the Worker).
STARTUP_ENTRIES = ("boot.mjs", "snapshot-worker.mjs")
#: Imported only when asked for: the QA overlay's drawing (data-debug="overlay").
ON_DEMAND_ENTRIES = ("overlay.mjs",)
#: The modules the dist ships.
ENTRIES = STARTUP_ENTRIES + ON_DEMAND_ENTRIES
#: Imported at run time from the runtime folder, never bundled.
EXTERNAL = ("./pyodide.mjs", "./pyodide.asm.mjs")
#: In worker-fetch.mjs: the archives' variants and hashes (buildtools/archives.py).
ARCHIVES_NAME = "__ADTRACKER_ARCHIVES__"


def bundle_runtime(
    source: Path, dest: Path, esbuild: Path, archives: dict[str, Any], version: str
) -> list[Path]:
    """Bundle each of ``ENTRIES`` from ``source`` into ``dest``, with ``archives`` defined as
    the Worker's ``ARCHIVES``. Returns the bundles; fails the build if one still names the
    placeholder or imports anything but Pyodide's modules."""
    if not esbuild.exists():
        raise BuildError(f"{esbuild} is missing: npm ci installs it (web/package.json)")
    manifest = json.dumps(archives, sort_keys=True, separators=(",", ":"))
    run(
        [str(esbuild), *(str(source / e) for e in ENTRIES), "--bundle", "--format=esm",
         "--target=es2022", "--charset=utf8", "--log-level=warning", f"--outdir={dest}",
         "--out-extension:.js=.mjs", *(f"--external:{x}" for x in EXTERNAL),
         f"--define:{ARCHIVES_NAME}={manifest}",
         f"--banner:js=/*! adtracker {version} runtime, bundled from web/src/runtime/ */"],
    )  # fmt: skip
    bundles = [dest / e for e in ENTRIES]
    for bundle in bundles:
        text = bundle.read_text(encoding="utf-8")
        # (esbuild names a define's source in a comment: "// <define:NAME>")
        if re.search(rf"(?<!<define:){ARCHIVES_NAME}", text):
            raise BuildError(f"{bundle.name} still names {ARCHIVES_NAME}")
        for line in text.splitlines():
            imports = line.startswith(("import ", "export * from"))
            if imports and not any(x in line for x in EXTERNAL):
                raise BuildError(f"{bundle.name} imports a module it should inline: {line}")
    return bundles
