"""The wheels the dist ships: Pyodide's pinned dependencies (downloaded, hash-checked and
precompiled to bytecode) and the tracker's own wheel."""

from __future__ import annotations

import re
import shutil
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from buildtools.common import BuildError, log, run, sha256_file

# `name==version --hash=sha256:<hex>`, one a line; pip checks the hash too (--require-hashes).
_REQUIREMENT = re.compile(r"([A-Za-z0-9_.-]+)==(\S+)\s+--hash=sha256:([0-9a-f]{64})")


def read_requirements(path: Path) -> list[tuple[str, str, str]]:
    """(name, version, sha256) for each line of web/pyodide-requirements.txt."""
    out = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = _REQUIREMENT.fullmatch(line)
        if not m:
            raise BuildError(f"{path.name}: write `name==version --hash=sha256:…`, got {line!r}")
        out.append((m[1], m[2], m[3]))
    return out


def check_pydantic_pin(pyproject: Path, requirements: Path) -> None:
    """The CPython tests must exercise the same pydantic the browser runs."""
    dev = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]["dev"]
    pins = [Requirement(r) for r in dev if canonicalize_name(Requirement(r).name) == "pydantic"]
    host = next((str(s.version) for r in pins for s in r.specifier if s.operator == "=="), None)
    shipped = next(
        (v for n, v, _ in read_requirements(requirements) if canonicalize_name(n) == "pydantic"),
        None,
    )
    if host is None or shipped is None or host != shipped:
        raise BuildError(
            f"pyproject.toml's dev extra pins pydantic=={host or '?'} but "
            f"{requirements.name} ships {shipped}: make them equal"
        )


def _cached_wheel(cache: Path, name: str, version: str) -> Path | None:
    for path in cache.glob("*.whl"):
        wheel_name, wheel_version, _, _ = parse_wheel_filename(path.name)
        if wheel_name == canonicalize_name(name) and wheel_version == Version(version):
            return path
    return None


def ensure_wheels(requirements: Path, cache: Path, abi: str, python: str) -> list[Path]:
    """The pinned wheels for this Pyodide (ABI, Python), downloaded once into ``cache``."""
    reqs = read_requirements(requirements)
    cache.mkdir(parents=True, exist_ok=True)
    if any(_cached_wheel(cache, n, v) is None for n, v, _ in reqs):
        major, minor = python.split(".")[:2]
        log(f"downloading {len(reqs)} wheels for Pyodide (cp{major}{minor}, pyemscripten_{abi}) …")
        run(
            [
                sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                "--no-deps", "--require-hashes", "--only-binary=:all:",
                "--python-version", f"{major}.{minor}", "--implementation", "cp",
                "--abi", f"cp{major}{minor}", "--platform", f"pyemscripten_{abi}_wasm32",
                "-d", str(cache), "-r", str(requirements),
            ]
        )  # fmt: skip
    wheels = []
    for name, version, digest in reqs:
        path = _cached_wheel(cache, name, version)
        if path is None:
            raise BuildError(f"{name}=={version} was not downloaded; check {requirements.name}")
        actual = sha256_file(path)
        if actual != digest:
            raise BuildError(
                f"{path.name} has sha256 {actual}, but {requirements.name} pins {digest}: "
                f"delete {path} to fetch it again, or update the pin if the release really changed"
            )
        wheels.append(path)
    return wheels


def build_tracker_wheel(root: Path, out: Path) -> Path:
    shutil.rmtree(out, ignore_errors=True)
    run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps",
         "--no-build-isolation", "-w", str(out), str(root)]
    )  # fmt: skip
    wheels = list(out.glob("adtracker-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one tracker wheel in {out}, found {wheels}")
    return wheels[0]


def precompile_wheels(wheels: list[Path], pyodide_dir: Path, script: Path, store: Path) -> None:
    """Replace each wheel (in place) by one whose .py files are CPython 3.14 bytecode,
    compiled by Pyodide itself under Node (``script``: web/tools/precompile.mjs), so
    browsers skip compiling pydantic & co. at every page load. Cached by content in
    ``store``. Node is there: build.py installs it before npm ci."""
    store.mkdir(parents=True, exist_ok=True)
    todo: list[str] = []
    for wheel in wheels:
        cached = store / f"{sha256_file(wheel)}.whl"
        if not cached.exists():
            todo += [str(wheel), str(cached)]
    if todo:
        log(f"precompiling {len(todo) // 2} wheel(s) to Python 3.14 bytecode with Pyodide …")
        run(["node", str(script), str(pyodide_dir) + "/", *todo])
    for wheel in wheels:
        shutil.copyfile(store / f"{sha256_file(wheel)}.whl", wheel)
