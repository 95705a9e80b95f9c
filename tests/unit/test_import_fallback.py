"""The trimmed archives: the build's trimming (buildtools/trim.py) and the finder that
imports what it left out from the full archives (adtracker/import_fallback.py), on real
zip archives under CPython's own import system."""

from __future__ import annotations

import importlib
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from adtracker import import_fallback
from adtracker.import_fallback import INDEX_MODULE, FullArchiveFinder
from buildtools.common import BuildError
from buildtools.trim import module_name, write_trimmed_stdlib, write_trimmed_wheel
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
#: A small "pydantic" wheel, whose optional parts are left out unless imported.
WHEEL = {
    "pydantic/__init__.py": "",
    "pydantic/main.py": "VALUE = 'main'\n",
    "pydantic/v1/__init__.py": "VALUE = 'v1'\n",
    "pydantic/deprecated/__init__.py": "",
    "pydantic/deprecated/json.py": "VALUE = 'deprecated.json'\n",
    "pydantic/mypy.py": "VALUE = 'mypy'\n",
    "pydantic-9.dist-info/METADATA": "Metadata-Version: 2.4\nName: pydantic\nVersion: 9\n\n"
    "# pydantic\nA long description, its whole changelog.\n",
    "pydantic-9.dist-info/RECORD": "pydantic/__init__.py,sha256=x,0\npydantic/v1/__init__.py,"
    "sha256=y,1\npydantic-9.dist-info/METADATA,sha256=z,2\npydantic-9.dist-info/RECORD,,\n",
}


def zip_of(path: Path, files: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("email/utils.py", "email.utils"),
        ("email/__init__.py", "email"),
        ("pydantic/v1/main.pyc", "pydantic.v1.main"),
        ("pydantic/__init__.pyc", "pydantic"),
        ("a/b/c.py", "a.b.c"),
        ("email/architecture.rst", None),
        ("pydantic-2.dist-info/RECORD", None),
    ],
)
def test_module_names(path: str, name: str | None) -> None:
    assert module_name(path) == name


def test_a_wheel_loses_only_the_optional_parts_nobody_imported(tmp_path: Path) -> None:
    wheel = zip_of(tmp_path / "pydantic-9-py3-none-any.whl", WHEEL)
    out = tmp_path / "trimmed" / wheel.name
    omitted = write_trimmed_wheel(wheel, ["pydantic/deprecated/__init__.py"], out)
    assert omitted == ["pydantic.deprecated.json", "pydantic.mypy", "pydantic.v1"]
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == [
            "pydantic-9.dist-info/METADATA",
            "pydantic-9.dist-info/RECORD",
            "pydantic/__init__.py",
            "pydantic/deprecated/__init__.py",
            "pydantic/main.py",
        ]
        metadata = zf.read("pydantic-9.dist-info/METADATA").decode()
        record = zf.read("pydantic-9.dist-info/RECORD").decode()
    assert metadata == "Metadata-Version: 2.4\nName: pydantic\nVersion: 9\n"
    assert record.splitlines() == [
        "pydantic/__init__.py,sha256=x,0",
        "pydantic-9.dist-info/METADATA,,",
        "pydantic-9.dist-info/RECORD,,",
    ]


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A trimmed stdlib and a trimmed "pydantic" on sys.path, their full archives beside."""
    full = zip_of(tmp_path / "python_stdlib.zip", FULL)
    wheel = zip_of(tmp_path / "pydantic-9-py3-none-any.whl", WHEEL)
    omitted = {wheel.name: write_trimmed_wheel(wheel, [], tmp_path / "t" / wheel.name)}
    write_trimmed_stdlib(full, KEEP, tmp_path / "t" / "stdlib.zip", omitted)
    added = [str(tmp_path / "t" / "stdlib.zip"), str(tmp_path / "t" / wheel.name)]
    sys.path[:0] = added
    saved_meta_path = list(sys.meta_path)
    try:
        yield {"python_stdlib.zip": full, wheel.name: wheel, "trimmed": tmp_path / "t"}
    finally:
        sys.path[:] = [p for p in sys.path if not p.startswith(str(tmp_path))]
        sys.meta_path[:] = saved_meta_path
        prefixes = ("adtk_", "pydantic", INDEX_MODULE)
        for name in [n for n in sys.modules if n.startswith(prefixes)]:
            del sys.modules[name]
        importlib.invalidate_caches()


@pytest.fixture
def real_pydantic() -> Iterator[None]:
    """The tests stand a fake "pydantic" in; the real one comes back after."""
    saved = {n: m for n, m in sys.modules.items() if n == "pydantic" or n.startswith("pydantic.")}
    for name in saved:
        del sys.modules[name]
    try:
        yield
    finally:
        sys.modules.update(saved)


def test_the_index_lists_every_archive_s_omissions(mounted: dict[str, Path]) -> None:
    with zipfile.ZipFile(mounted["trimmed"] / "stdlib.zip") as zf:
        assert sorted(zf.namelist()) == sorted([*KEEP, f"{INDEX_MODULE}.py"])
    index = importlib.import_module(INDEX_MODULE)
    assert index.OMITTED == {
        "python_stdlib.zip": ["adtk_gone", "adtk_gone.sub", "adtk_late", "adtk_pkg.late"],
        "pydantic-9-py3-none-any.whl": [
            "pydantic.deprecated", "pydantic.deprecated.json", "pydantic.mypy", "pydantic.v1"
        ],
    }  # fmt: skip


def test_a_trace_naming_a_file_the_archive_lacks_fails_the_build(tmp_path: Path) -> None:
    full = zip_of(tmp_path / "full.zip", {"a.py": ""})
    with pytest.raises(BuildError, match=r"nope\.py"):
        write_trimmed_stdlib(full, ["a.py", "nope.py"], tmp_path / "t.zip", {})


def test_omitted_modules_import_from_their_full_archive_fetched_once(
    mounted: dict[str, Path], real_pydantic: None, tmp_path: Path
) -> None:
    fetched: list[str] = []

    def fetch(name: str) -> bytes:
        fetched.append(name)
        return mounted[name].read_bytes()

    log = RecordingLog()
    assert import_fallback.install(fetch, tmp_path / "full", log)
    assert importlib.import_module("adtk_kept").VALUE == "kept"
    assert importlib.import_module("pydantic.main").VALUE == "main"
    assert fetched == []  # what the trimmed archives hold costs nothing
    with pytest.raises(ImportError):
        importlib.import_module("adtk_not_a_module_anywhere")  # not ours: no fetch
    assert fetched == []
    assert importlib.import_module("adtk_late").VALUE == "late"
    assert importlib.import_module("adtk_pkg.late").VALUE == "pkg.late"  # a kept package
    assert importlib.import_module("adtk_gone.sub").VALUE == "gone.sub"  # a left-out one
    assert importlib.import_module("pydantic.v1").VALUE == "v1"
    assert importlib.import_module("pydantic.deprecated.json").VALUE == "deprecated.json"
    assert fetched == ["python_stdlib.zip", "pydantic-9-py3-none-any.whl"]
    assert [m for m in log.of("debug") if "imports:" in m] == [
        "imports: adtk_late is not in the trimmed archives; fetching python_stdlib.zip (once)",
        "imports: pydantic.v1 is not in the trimmed archives; "
        "fetching pydantic-9-py3-none-any.whl (once)",
    ]


def test_a_failed_fetch_fails_the_import_and_says_why_once(
    mounted: dict[str, Path], tmp_path: Path
) -> None:
    def fetch(name: str) -> bytes:
        raise OSError(f"{name} answered HTTP 404")

    log = RecordingLog()
    import_fallback.install(fetch, tmp_path / "full", log)
    for _ in range(2):
        with pytest.raises(ImportError):
            importlib.import_module("adtk_late")
    assert log.of("warn") == [
        "imports: could not fetch python_stdlib.zip (python_stdlib.zip answered HTTP 404)"
    ]


def test_imports_made_while_fetching_are_not_served_again(
    mounted: dict[str, Path], tmp_path: Path
) -> None:
    calls: list[str] = []

    def fetch(name: str) -> bytes:  # as if the fetch itself imported a left-out module
        calls.append(name)
        with pytest.raises(ImportError):
            importlib.import_module("adtk_gone")
        return mounted[name].read_bytes()

    import_fallback.install(fetch, tmp_path / "full", RecordingLog())
    assert importlib.import_module("adtk_late").VALUE == "late"
    assert importlib.import_module("adtk_gone").__name__ == "adtk_gone"
    assert calls == ["python_stdlib.zip"]


def test_not_installed_on_the_full_standard_library(tmp_path: Path) -> None:
    saved = list(sys.meta_path)
    try:
        assert not import_fallback.install(bytes, tmp_path / "x", RecordingLog())
        assert not any(isinstance(f, FullArchiveFinder) for f in sys.meta_path)
    finally:
        sys.meta_path[:] = saved
