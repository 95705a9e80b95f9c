"""The dist's static parts: the PyScript runtime and demo, the content-hashed runtime
folder's name, and precompressed siblings."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

from buildtools.archives import STORED_DIR
from buildtools.common import BuildError, sha256_file

# Worth precompressing: text and wasm, and the stored archives (buildtools.archives); the
# deflated wheels and stdlib zip beside them would not shrink.
COMPRESSIBLE = (".wasm", ".mjs", ".js", ".json")


def compressible(path: Path) -> bool:
    return path.suffix in COMPRESSIBLE or path.parent.name == STORED_DIR


def copy_pyscript(package: Path, dest: Path) -> None:
    """PyScript's browser runtime (core.js, core.css and their lazy chunks), no source maps."""
    source = package / "dist"
    if not (source / "core.js").is_file():
        raise BuildError(f"{source} has no core.js: is {package.name} installed?")
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("*.map"))


def copy_filled(source: Path, dest: Path, fill: dict[str, str]) -> None:
    """Copy the folder ``source`` to ``dest``, replacing each key of ``fill`` by its value in
    the text files (.html, .json, .toml, .py)."""
    shutil.copytree(source, dest)
    for path in dest.rglob("*"):
        if path.suffix in (".html", ".json", ".toml", ".py") and path.is_file():
            text = path.read_text(encoding="utf-8")
            filled = text
            for key, value in fill.items():
                filled = filled.replace(key, value)
            if filled != text:
                path.write_text(filled, encoding="utf-8")


def runtime_hash(folder: Path) -> str:
    """12 hex digits that change whenever any file's path (inside ``folder``) or content
    does."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        h.update(name.encode() + b"\0" + bytes.fromhex(sha256_file(path)))
    return h.hexdigest()[:12]


def precompress(folder: Path, store: Path) -> None:
    """Write .gz (and .br, with the brotli package) beside each compressible file.
    Results are cached by content in ``store``, so only changed files are compressed again."""
    compressors: dict[str, Callable[[bytes], bytes]] = {
        ".gz": lambda b: gzip.compress(b, 9, mtime=0)
    }
    try:
        import brotli
    except ImportError:  # optional: gzip alone still cuts the wasm by 60 %
        pass
    else:
        compressors[".br"] = lambda b: brotli.compress(b, quality=11)
    store.mkdir(parents=True, exist_ok=True)
    for path in list(folder.rglob("*")):
        if not compressible(path) or not path.is_file():
            continue
        digest = sha256_file(path)
        for suffix, compress in compressors.items():
            cached = store / (digest + suffix)
            if not cached.exists():
                tmp = cached.with_suffix(".tmp")
                tmp.write_bytes(compress(path.read_bytes()))
                tmp.rename(cached)
            shutil.copyfile(cached, path.with_name(path.name + suffix))
