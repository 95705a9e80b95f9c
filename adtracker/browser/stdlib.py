"""The trimmed standard library's fallback, in the browser: a synchronous request for the
full archive (adtracker/stdlib_fallback.py decides when; rarely, if ever, on a tracker
page: the build traced what the tracker imports)."""

from __future__ import annotations

import _codecs
from pathlib import Path

import js
import pyodide_js

from adtracker import stdlib_fallback
from adtracker.ports import Log

#: The full standard library, beside the trimmed one in the runtime folder.
FULL_ARCHIVE = "python_stdlib.zip"
MOUNT_AT = Path("/lib/adtracker-full-stdlib.zip")


def fetch_full() -> bytes:
    """The full archive, synchronously (an import cannot wait for a promise). A synchronous
    request on a page cannot ask for bytes (``responseType``), so the x-user-defined
    charset maps each byte to one character: U+00xx or U+F7xx, whose low byte it is. (The
    codec is called from ``_codecs``, built in: ``str.encode`` would import
    ``encodings.utf_16_le``, which the trimmed archive may not hold.)"""
    url = str(pyodide_js._api.config.indexURL) + FULL_ARCHIVE
    xhr = js.XMLHttpRequest.new()
    xhr.open("GET", url, False)
    xhr.overrideMimeType("text/plain; charset=x-user-defined")
    xhr.send()
    if xhr.status != 200:
        raise OSError(f"{FULL_ARCHIVE} answered HTTP {xhr.status}")
    return _codecs.utf_16_le_encode(str(xhr.responseText))[0][::2]


def install(log: Log) -> bool:
    """The fallback finder, when Python runs on the trimmed standard library."""
    return stdlib_fallback.install(fetch_full, MOUNT_AT, log)
