"""The snapshot path's trimmed archives: only the files the tracker imports.

Pyodide's ``python_stdlib.zip`` holds 614 files; the tracker's start and event paths
import about 150 of them. pydantic ships ``pydantic.v1``, its mypy plugin and its
``deprecated`` and ``experimental`` parts, which nothing of ours imports. The build traces
what is imported (``web/tools/trace_imports.mjs`` runs ``trace_imports.py`` under Pyodide
in Node, on the dist's own wheels) and writes, for the snapshot Worker:

- ``adtracker_stdlib.zip``: the standard library's imported files, plus the index module
  (adtracker/import_fallback.py's ``INDEX_MODULE``) naming, per full archive, the modules
  left out;
- ``trimmed/<pydantic wheel>``: pydantic without the optional parts nobody imported.

The full archives stay in the runtime folder, as the lock file names them, for the
ordinary boot, PyScript and ``micropip``, and for the fallback finder's first miss.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adtracker.import_fallback import INDEX_MODULE
from buildtools.common import BuildError, log

TRIMMED_STDLIB = "adtracker_stdlib.zip"
TRIMMED_DIR = "trimmed"
#: pydantic's parts that ship only if the trace saw them imported.
PYDANTIC_OPTIONAL = ("pydantic/v1/", "pydantic/deprecated/", "pydantic/experimental/",
                     "pydantic/mypy.")  # fmt: skip
#: A fixed date for the files the build writes into archives (reproducible output).
EPOCH = (2020, 1, 1, 0, 0, 0)


def trace(
    script: Path, pyodide_dir: Path, fakes: Path, order: Path, wheels: list[Path]
) -> dict[str, Any]:
    """The files the tracker imports: ``stdlib`` (paths in the zip), ``site`` (paths in
    site-packages) and ``stdlib_sources`` (the former's sources without docstrings)."""
    log(f"tracing what the tracker imports (Pyodide under Node, {len(wheels)} wheels) …")
    args = ["node", str(script), str(pyodide_dir) + "/", str(fakes), str(order)]
    result = subprocess.run([*args, *map(str, wheels)], capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise BuildError(f"tracing the tracker's imports failed:\n{tail}")
    found = json.loads(result.stdout)
    if not (isinstance(found, dict) and found.get("stdlib") and found.get("site")):
        raise BuildError(f"the import trace found nothing: {result.stdout[:200]!r}")
    return found


def module_name(path: str) -> str | None:
    """``email/utils.py`` → ``email.utils``; ``email/__init__.pyc`` → ``email``; None for
    a file that is no module."""
    for suffix in (".py", ".pyc"):
        if path.endswith(suffix):
            return path.removesuffix(suffix).removesuffix("/__init__").replace("/", ".")
    return None


def _copy_entries(
    source: Path,
    dest: Path,
    keep: Callable[[str], bool],
    extra: dict[str, str] | None = None,
    replaced: dict[str, str] | None = None,
) -> list[str]:
    """``dest``: the entries of ``source`` that ``keep`` accepts, deflated (with the text
    of ``replaced`` where it names one), plus ``extra`` (name → text). Returns the dotted
    names of the modules left out."""
    replaced = replaced or {}
    dest.parent.mkdir(parents=True, exist_ok=True)
    omitted = []
    with zipfile.ZipFile(source) as zin:
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
            for info in zin.infolist():
                if info.is_dir():
                    continue
                if not keep(info.filename):
                    if (name := module_name(info.filename)) is not None:
                        omitted.append(name)
                    continue
                copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                copy.compress_type = zipfile.ZIP_DEFLATED
                copy.external_attr = info.external_attr
                text = replaced.get(info.filename)
                zout.writestr(copy, zin.read(info) if text is None else text.encode("utf-8"))
            for name, text in (extra or {}).items():
                entry = zipfile.ZipInfo(name, date_time=EPOCH)
                entry.compress_type = zipfile.ZIP_DEFLATED
                zout.writestr(entry, text)
    return sorted(omitted)


def metadata_headers(text: str) -> str:
    """A METADATA file without its long description (pydantic's is its whole changelog,
    144 kB): the headers, which are all ``importlib.metadata`` reads for a version."""
    head, _, _ = text.partition("\n\n")
    return head + "\n"


def write_trimmed_wheel(wheel: Path, imported: list[str], dest: Path) -> list[str]:
    """``dest``: ``wheel`` without the optional parts (PYDANTIC_OPTIONAL) that the trace
    did not see imported, its METADATA without the long description and its RECORD
    listing what is left. Returns the modules left out."""
    seen = set(imported)

    def keep(name: str) -> bool:
        if name.endswith(".dist-info/METADATA") or name.endswith(".dist-info/RECORD"):
            return False  # rewritten below
        return name in seen or not name.startswith(PYDANTIC_OPTIONAL)

    with zipfile.ZipFile(wheel) as zin:
        dist_info = next(n for n in zin.namelist() if n.endswith(".dist-info/METADATA"))
        dist_info = dist_info.removesuffix("METADATA")
        metadata = metadata_headers(zin.read(dist_info + "METADATA").decode("utf-8"))
        record = zin.read(dist_info + "RECORD").decode("utf-8").splitlines()
        kept = {n for n in zin.namelist() if keep(n)}
    rows = [r for r in record if r.split(",", 1)[0] in kept]
    rows += [f"{dist_info}METADATA,,", f"{dist_info}RECORD,,"]
    extra = {dist_info + "METADATA": metadata, dist_info + "RECORD": "\n".join(rows) + "\n"}
    return _copy_entries(wheel, dest, keep, extra)


def write_trimmed_stdlib(
    full: Path,
    imported: list[str],
    dest: Path,
    omitted_elsewhere: dict[str, list[str]],
    sources: dict[str, str] | None = None,
) -> list[str]:
    """``dest``: the entries of ``full`` that the trace imported (a ``.py`` file's text
    taken from ``sources`` where given: the trace's copy without docstrings), plus the
    index module of every archive's omissions (``omitted_elsewhere`` and this one's, under
    ``full``'s name). Returns this one's."""
    seen = set(imported)
    with zipfile.ZipFile(full) as zin:
        names = {i.filename for i in zin.infolist()}
    if missing := seen - names:
        raise BuildError(f"the trace names files {full.name} lacks: {sorted(missing)}")
    own = sorted(m for n in names - seen if (m := module_name(n)) is not None)
    index = {full.name: own, **omitted_elsewhere}
    body = "".join(
        f"    {archive!r}: {sorted(mods)!r},\n" for archive, mods in sorted(index.items())
    )
    text = (
        '"""Written by adtracker\'s build (buildtools/trim.py): for each full archive in\n'
        'the runtime folder, the modules that the trimmed ones left out."""\n'
        f"OMITTED = {{\n{body}}}\n"
    )
    _copy_entries(full, dest, seen.__contains__, {f"{INDEX_MODULE}.py": text}, sources or {})
    return own


def write_trimmed(
    folder: Path, wheels: list[Path], stdlib: str, imported: dict[str, Any]
) -> dict[str, str]:
    """Into ``folder`` (the runtime being staged): the trimmed pydantic and standard
    library, from the trace's ``imported``. Returns, for each archive the snapshot Worker
    fetches (``wheels`` and the trimmed stdlib), the path of its deflated variant."""
    deflated = {w.name: w.name for w in wheels}
    pydantic = next(w.name for w in wheels if w.name.startswith("pydantic-"))
    deflated[pydantic] = f"{TRIMMED_DIR}/{pydantic}"
    omitted = {
        pydantic: write_trimmed_wheel(
            folder / pydantic, imported["site"], folder / deflated[pydantic]
        )
    }
    write_trimmed_stdlib(
        folder / stdlib,
        imported["stdlib"],
        folder / TRIMMED_STDLIB,
        omitted,
        imported["stdlib_sources"],
    )
    deflated[TRIMMED_STDLIB] = TRIMMED_STDLIB
    return deflated
