"""Run inside Pyodide by precompile.mjs (a build step): rewrite a wheel with each pure-Python
source replaced by CPython 3.14 bytecode compiled by Pyodide's own interpreter, so the
magic number and the code objects are exactly what the shoppers' Pyodide loads."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import marshal
import sys
import zipfile

#: Where Pyodide installs wheels: compiled code keeps these paths for its tracebacks.
SITE = f"/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages/"


def record_hash(data: bytes) -> str:
    """A RECORD line's hash field (PEP 376: urlsafe base64 sha256, no padding)."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def sourceless(source: bytes, name: str) -> bytes:
    """A .pyc (PEP 552, unchecked: the flags and the source fields are zero) for ``source``."""
    code = compile(source, SITE + name, "exec", dont_inherit=True)
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)


def precompile(src_path: str, dst_path: str) -> None:
    """Copy the wheel ``src_path`` to ``dst_path`` with its .py files as .pyc (RECORD redone)."""
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(src_path) as src:
        for info in src.infolist():
            data, name = src.read(info), info.filename
            top = name.split("/", 1)[0]
            if name.endswith(".py") and not top.endswith((".data", ".dist-info")):
                files[name + "c"] = sourceless(data, name)
            else:
                files[name] = data
    record_name = next(n for n in files if n.endswith(".dist-info/RECORD"))
    lines = [f"{n},{record_hash(d)},{len(d)}" for n, d in files.items() if n != record_name]
    files[record_name] = ("\n".join([*lines, f"{record_name},,"]) + "\n").encode()
    with zipfile.ZipFile(dst_path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, data)
