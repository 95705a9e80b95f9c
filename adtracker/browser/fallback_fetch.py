"""The trimmed archives' fallback, in the browser: a synchronous request for a full
archive (adtracker/import_fallback.py decides when; rarely, if ever, on a tracker page:
the build traced what the tracker imports)."""

from __future__ import annotations

import _codecs
from pathlib import Path

import js
import pyodide_js

from adtracker import import_fallback
from adtracker.base.ports import Log

#: Where the full archives are written once fetched.
MOUNT_DIR = Path("/lib/adtracker-full")


def fetch_archive(name: str) -> bytes:
    """``name`` from the runtime folder, synchronously (an import cannot wait for a
    promise). A synchronous request on a page cannot ask for bytes (``responseType``), so
    the x-user-defined charset maps each byte to one character: U+00xx or U+F7xx, whose low
    byte it is. (The codec is called from ``_codecs``, built in: ``str.encode`` would
    import ``encodings.utf_16_le``, which the trimmed archive may not hold.)"""
    xhr = js.XMLHttpRequest.new()
    xhr.open("GET", str(pyodide_js._api.config.indexURL) + name, False)
    xhr.overrideMimeType("text/plain; charset=x-user-defined")
    xhr.send()
    if xhr.status != 200:
        raise OSError(f"{name} answered HTTP {xhr.status}")
    return _codecs.utf_16_le_encode(str(xhr.responseText))[0][::2]


def install(log: Log) -> bool:
    """The fallback finder, when Python runs on the trimmed archives."""
    return import_fallback.install(fetch_archive, MOUNT_DIR, log)
