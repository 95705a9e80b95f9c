"""The trimmed standard library: the build's trimming (buildtools/stdlib.py) and the finder
that imports what it left out from the full archive (adtracker/stdlib_fallback.py), on
real zip archives under CPython's own import system."""

from __future__ import annotations

import importlib
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from adtracker import stdlib_fallback
from adtracker.stdlib_fallback import INDEX_MODULE, FullStdlibFinder
from buildtools.common import BuildError
from buildtools.stdlib import module_name, write_trimmed
from tests.unit.fakes import RecordingLog

#: A small "standard library" whose names cannot clash with the real one.
FULL = {
    "adtk_kept.py": "VALUE = 'kept'\n",
    "adtk_late.py": "VALUE = 'late'\n",
    "adtk_pkg/__init__.py": "",
    "adtk_pkg/kept.py": "VALUE = 'pkg.kept'\n",
    "adtk_pkg/late.py": "VALUE = 'pkg.late'\n",
    "adtk_gone/__init__.py": "",
    "adtk_gone/sub.py": "VALUE = 'gone.sub'\n",
    "adtk_data.txt": "not a module\n",
}
KEEP = ["adtk_kept.py", "adtk_pkg/__init__.py", "adtk_pkg/kept.py"]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("email/utils.py", "email.utils"),
        ("email/__init__.py", "email"),
        ("typing.py", "typing"),
        ("a/b/c.py", "a.b.c"),
        ("email/architecture.rst", None),
    ],
)
def test_module_names(path: str, name: str | None) -> None:
    assert module_name(path) == name


@pytest.fixture
def archives(tmp_path: Path) -> Iterator[tuple[Path, Path, list[str]]]:
    full = tmp_path / "full.zip"
    with zipfile.ZipFile(full, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in FULL.items():
            zf.writestr(name, text)
    trimmed = tmp_path / "trimmed.zip"
    omitted = write_trimmed(full, KEEP, trimmed)
    sys.path.insert(0, str(trimmed))
    saved_meta_path = list(sys.meta_path)
    try:
        yield full, trimmed, omitted
    finally:
        sys.path.remove(str(trimmed))
        sys.path[:] = [p for p in sys.path if not p.startswith(str(tmp_path))]
        sys.meta_path[:] = saved_meta_path
        for name in [n for n in sys.modules if n.startswith(("adtk_", INDEX_MODULE))]:
            del sys.modules[name]
        importlib.invalidate_caches()


def test_trimmed_archive_keeps_only_the_traced_files_and_lists_the_rest(
    archives: tuple[Path, Path, list[str]],
) -> None:
    _, trimmed, omitted = archives
    with zipfile.ZipFile(trimmed) as zf:
        assert sorted(zf.namelist()) == sorted([*KEEP, f"{INDEX_MODULE}.py"])
    assert omitted == ["adtk_gone", "adtk_gone.sub", "adtk_late", "adtk_pkg.late"]
    index = importlib.import_module(INDEX_MODULE)
    assert index.OMITTED == frozenset(omitted)


def test_a_trace_naming_a_file_the_archive_lacks_fails_the_build(tmp_path: Path) -> None:
    full = tmp_path / "full.zip"
    with zipfile.ZipFile(full, "w") as zf:
        zf.writestr("a.py", "")
    with pytest.raises(BuildError, match=r"nope\.py"):
        write_trimmed(full, ["a.py", "nope.py"], tmp_path / "t.zip")


def test_omitted_modules_import_from_the_full_archive_fetched_once(
    archives: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    full, _, _ = archives
    fetches: list[int] = []

    def fetch() -> bytes:
        fetches.append(1)
        return full.read_bytes()

    log = RecordingLog()
    assert stdlib_fallback.install(fetch, tmp_path / "mounted" / "full.zip", log)
    assert importlib.import_module("adtk_kept").VALUE == "kept"
    assert fetches == []  # what the trimmed archive has costs nothing
    with pytest.raises(ImportError):
        importlib.import_module("adtk_not_a_stdlib_module")  # not ours: no fetch
    assert fetches == []
    assert importlib.import_module("adtk_late").VALUE == "late"
    assert importlib.import_module("adtk_pkg.late").VALUE == "pkg.late"  # a kept package
    assert importlib.import_module("adtk_gone.sub").VALUE == "gone.sub"  # a left-out one
    assert importlib.import_module("adtk_pkg.kept").__file__.startswith(str(archives[1]))
    assert fetches == [1]
    assert [m for m in log.of("debug") if "stdlib:" in m] == [
        "stdlib: adtk_late is not in the trimmed standard library; fetching the full one (once)"
    ]


def test_a_failed_fetch_fails_the_import_once_and_says_why(
    archives: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    def fetch() -> bytes:
        raise OSError("python_stdlib.zip answered HTTP 404")

    log = RecordingLog()
    stdlib_fallback.install(fetch, tmp_path / "full.zip", log)
    for _ in range(2):
        with pytest.raises(ImportError):
            importlib.import_module("adtk_late")
    assert log.of("warn") == [
        "stdlib: could not fetch the full standard library (python_stdlib.zip answered HTTP 404)"
    ]


def test_not_installed_on_the_full_standard_library(tmp_path: Path) -> None:
    saved = list(sys.meta_path)
    try:
        assert not stdlib_fallback.install(bytes, tmp_path / "x.zip", RecordingLog())
        assert not any(isinstance(f, FullStdlibFinder) for f in sys.meta_path)
    finally:
        sys.meta_path[:] = saved


def test_imports_made_while_fetching_are_not_served_again(
    archives: tuple[Path, Path, list[str]], tmp_path: Path
) -> None:
    full, _, _ = archives
    calls: list[int] = []

    def fetch() -> bytes:  # as if the fetch itself imported a left-out module
        calls.append(1)
        with pytest.raises(ImportError):
            importlib.import_module("adtk_gone")
        return full.read_bytes()

    stdlib_fallback.install(fetch, tmp_path / "full.zip", RecordingLog())
    assert importlib.import_module("adtk_late").VALUE == "late"
    assert importlib.import_module("adtk_gone").__name__ == "adtk_gone"
    assert calls == [1]
