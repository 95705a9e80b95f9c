"""The dist's ``pyodide-lock.json``: only our wheels, with hashes and dependencies, so the
loader asks for "adtracker" and Pyodide fetches the rest in parallel."""

from __future__ import annotations

import json
from pathlib import Path

from packaging.utils import parse_wheel_filename
from pyodide_lock import PyodideLockSpec
from pyodide_lock.spec import InfoSpec
from pyodide_lock.utils import add_wheels_to_spec, package_spec_from_wheel

from buildtools.common import BuildError, sha256_file


def check_wheel_abi(wheel: Path, abi: str, python: str, arch: str, requirements: str) -> None:
    """pyodide-lock 0.1.2 knows only the old `emscripten_X_Y_Z` platform tags, so binary
    wheels with the newer `pyemscripten_<abi>` tag are checked here, against the ABI
    that the installed Pyodide declares in its own lock file."""
    _, _, _, tags = parse_wheel_filename(wheel.name)
    major, minor = python.split(".")[:2]
    want = (f"cp{major}{minor}", f"cp{major}{minor}", f"pyemscripten_{abi}_{arch}")
    if any(t.platform == "any" for t in tags):
        return
    if not any((t.interpreter, t.abi, t.platform) == want for t in tags):
        raise BuildError(
            f"{wheel.name} does not match this Pyodide, which needs {'-'.join(want)}: pin a "
            f"release that publishes that wheel in {requirements} (find one with "
            "`pip download "
            f"--only-binary=:all: --python-version {major}.{minor} --implementation cp --abi "
            f"cp{major}{minor} --platform {want[2]} <name>`), or change the pyodide pin in "
            "web/package.json to a release with that ABI"
        )


def write_lock(
    folder: Path,
    upstream_lock: Path,
    version: str,
    wheels: list[tuple[Path, Path]],
    requirements: str,
) -> None:
    """``folder``/pyodide-lock.json, with the ``info`` of Pyodide's own lock
    (``upstream_lock``) at version ``version``, for ``wheels``: (source, shipped) pairs.

    Names, import names and dependencies are read from each source wheel: pyodide-lock
    finds import names by their .py files, which a precompiled wheel no longer has. File
    names and sha256 are those of the shipped wheel in ``folder``, final by now.
    ``requirements`` names the file where a missing dependency must be pinned."""
    info_raw = json.loads(upstream_lock.read_text())["info"]
    info = InfoSpec(**{**info_raw, "version": version})
    spec = PyodideLockSpec(info=info, packages={})
    shipped = {parse_wheel_filename(s.name)[0]: s for _, s in wheels}
    sources = [source for source, _ in wheels]
    pure = [w for w in sources if w.name.endswith("-none-any.whl")]
    for wheel in (w for w in sources if w not in pure):
        check_wheel_abi(wheel, info.abi_version or "", info.python, info.arch, requirements)
        # Lie to the pyodide-lock 0.1.2 compatibility check only about the platform
        # spelling; the real check is check_wheel_abi above.
        legacy = info.model_copy(update={"platform": f"pyemscripten_{info.abi_version}"})
        pkg = package_spec_from_wheel(wheel, legacy)
        spec.packages[pkg.name] = pkg
    spec = add_wheels_to_spec(spec, pure, base_path=Path("/"))  # file names are set below
    for pkg in spec.packages.values():
        for dep in pkg.depends:
            if dep not in spec.packages:
                raise BuildError(f"{pkg.name} depends on {dep}, which is not in {requirements}")
        pkg.file_name = shipped[pkg.name].name
        pkg.sha256 = sha256_file(shipped[pkg.name])
    spec.to_json(folder / "pyodide-lock.json", indent=1)
