"""Stored (uncompressed) copies of the runtime's archives, for hosts that compress.

A deflated zip cannot be shrunk further by the host: brotli over deflated data gains
nothing. The same archive *stored* and then brotli-compressed once by the build is a third
smaller (the standard library: 2.55 MB deflated, 1.61 MB stored + brotli; Pyodide's issue
#3667 measured the same). So the runtime folder carries both:

- ``<name>``: the deflated archive, as Pyodide, PyScript and ``micropip`` expect it, named
  in the lock file and smallest on a host that compresses nothing (or its trimmed copy,
  buildtools/trim.py, where the snapshot path takes one);
- ``stored/<name>``: the same entries stored, with ``.br``/``.gz`` siblings (precompressed
  by the build like every other file), smallest where the host sends those siblings or
  compresses on the fly.

The snapshot Worker asks for the headers of ``stored/<name>`` first and takes it only when
the host answers with a ``Content-Encoding``; otherwise it fetches ``<name>``. Both are
checked against their sha256, which the build writes into the Worker (``ARCHIVES`` in
web/src/runtime/worker-fetch.mjs, defined by buildtools/bundle.py), so either way the
bytes are exactly the build's.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from buildtools.common import sha256_file

STORED_DIR = "stored"


def store_zip(source: Path, dest: Path) -> None:
    """Rewrite the zip ``source`` as ``dest`` with every entry stored, in the same order,
    with the same names, dates and attributes (so the output depends only on the input)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.external_attr = info.external_attr
            copy.create_system = info.create_system
            copy.compress_type = zipfile.ZIP_STORED
            zout.writestr(copy, zin.read(info))


def write_stored_variants(folder: Path, deflated: dict[str, str]) -> dict[str, Any]:
    """For each archive (its name → the path of its deflated variant inside ``folder``),
    ``folder/stored/<name>``: the same entries stored. Returns, for each name, both
    variants' paths and sha256, as the Worker reads them (``ARCHIVES``)."""
    manifest: dict[str, Any] = {}
    for name in sorted(deflated):
        source = folder / deflated[name]
        stored = f"{STORED_DIR}/{name}"
        store_zip(source, folder / stored)
        manifest[name] = {
            "deflated": {"path": deflated[name], "sha256": sha256_file(source)},
            "stored": {"path": stored, "sha256": sha256_file(folder / stored)},
        }
    return manifest
