"""One version, set once (``__version__`` in adtracker/__init__.py), everywhere a user sees
one: the wheel (hatch reads the same line), the loader's banner and ``adTracker.version``
(stamped by the build), the npm manifest and its lock (npm needs a literal), the docs (the
hook reads it) and the changelog's newest release."""

from __future__ import annotations

import json
import re
import tomllib
import zipfile
from pathlib import Path

import pytest

import adtracker
from buildtools.common import BuildError, project_version

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
VERSION = project_version()


def test_the_package_says_the_version_it_is_set_to() -> None:
    assert adtracker.__version__ == VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)


def test_pyproject_takes_it_from_the_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "adtracker/__init__.py"


def test_npm_manifest_and_its_lock_say_the_same() -> None:
    manifest = json.loads((ROOT / "web" / "package.json").read_text())
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    assert manifest["version"] == VERSION
    assert lock["version"] == VERSION
    assert lock["packages"][""]["version"] == VERSION


def test_changelog_newest_release_is_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, re.MULTILINE)
    assert releases, "CHANGELOG.md has no '## [X.Y.Z] - YYYY-MM-DD' release heading"
    assert releases[0] == VERSION


def test_loader_source_has_the_placeholders_the_build_fills() -> None:
    loader = (ROOT / "web" / "src" / "tracker.js").read_text()
    assert loader.startswith("/*! adtracker __ADTRACKER_VERSION__ loader")
    assert 'api.version = "__ADTRACKER_VERSION__"' in loader


@pytest.mark.skipif(not (DIST / "tracker.js").exists(), reason="run python3 build.py first")
def test_the_built_dist_carries_the_version() -> None:
    loader = (DIST / "tracker.js").read_text()
    assert loader.startswith(f"/*! adtracker {VERSION} loader")
    assert f'api.version = "{VERSION}"' in loader
    runtime = (DIST / "RUNTIME").read_text().strip()
    (wheel,) = (DIST / runtime).glob("adtracker-*-py3-none-any.whl")
    assert wheel.name == f"adtracker-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read(f"adtracker-{VERSION}.dist-info/METADATA").decode()
    assert f"\nVersion: {VERSION}\n" in metadata


@pytest.mark.parametrize(
    "text",
    ['__version__ = "1.2"\n', "", '__version__ = "1.2.3"\n__version__ = "1.2.4"\n'],
)
def test_an_unreadable_version_line_fails_clearly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "__init__.py"
    path.write_text(text)
    with pytest.raises(BuildError, match="__version__"):
        project_version(path)


def test_a_trailing_comment_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "__init__.py"
    path.write_text('__version__ = "3.4.5"  # set here\n')
    assert project_version(path) == "3.4.5"
