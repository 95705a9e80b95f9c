"""The trimmed standard library of the snapshot path: only the files the tracker opens.

Pyodide's ``python_stdlib.zip`` holds 614 files; the tracker's start and event paths open
about 150 of them. The build traces which (``web/tools/trace_stdlib.mjs`` runs
``trace_stdlib.py`` under Pyodide in Node, on the dist's own wheels) and writes
``adtracker_stdlib.zip`` with those files and an index module naming the ones left out,
which adtracker/stdlib_fallback.py imports from the full archive (still shipped, as
``python_stdlib.zip``, for the ordinary boot, PyScript and ``micropip``) on the first miss.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

from adtracker.stdlib_fallback import INDEX_MODULE
from buildtools.common import BuildError, log

TRIMMED = "adtracker_stdlib.zip"


def trace(
    script: Path, pyodide_dir: Path, fakes: Path, order: Path, wheels: list[Path]
) -> list[str]:
    """The standard library's files the tracker opens (paths inside the zip)."""
    log(f"tracing the standard library the tracker opens (Pyodide, {len(wheels)} wheels) …")
    args = ["node", str(script), str(pyodide_dir) + "/", str(fakes), str(order)]
    result = subprocess.run([*args, *map(str, wheels)], capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise BuildError(f"tracing the standard library failed:\n{tail}")
    files = json.loads(result.stdout)
    if not isinstance(files, list) or not files:
        raise BuildError(f"the standard library trace found nothing: {result.stdout[:200]!r}")
    return files


def module_name(path: str) -> str | None:
    """``email/utils.py`` → ``email.utils``; ``email/__init__.py`` → ``email``; None for a
    file that is no module."""
    if not path.endswith(".py"):
        return None
    stem = path.removesuffix(".py").removesuffix("/__init__")
    return stem.replace("/", ".")


def write_trimmed(full: Path, keep: list[str], dest: Path) -> list[str]:
    """``dest``: the entries of ``full`` named in ``keep`` (deflated, like ``full``), plus
    the index of the modules left out. Returns those modules' names."""
    wanted = set(keep)
    with zipfile.ZipFile(full) as zin:
        infos = [i for i in zin.infolist() if not i.is_dir()]
        missing = wanted - {i.filename for i in infos}
        if missing:
            raise BuildError(f"the trace names files {TRIMMED} cannot take: {sorted(missing)}")
        omitted = sorted(
            name
            for i in infos
            if i.filename not in wanted and (name := module_name(i.filename)) is not None
        )
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
            for info in infos:
                if info.filename in wanted:
                    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    copy.compress_type = zipfile.ZIP_DEFLATED
                    zout.writestr(copy, zin.read(info))
            index = zipfile.ZipInfo(f"{INDEX_MODULE}.py", date_time=(2020, 1, 1, 0, 0, 0))
            index.compress_type = zipfile.ZIP_DEFLATED
            body = ",\n".join(f"    {n!r}" for n in omitted)
            zout.writestr(
                index,
                '"""Written by adtracker\'s build: the modules left out of this archive."""\n'
                f"OMITTED = frozenset({{\n{body},\n}})\n",
            )
    return omitted
