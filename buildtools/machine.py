"""What the machine needs before the build and the tests run: Debian's packages (Node.js
and npm; Chromium, Firefox ESR, WebKitGTK and Xvfb for the browser tests), installed with
apt-get when running as root, and the project's ``.venv``. Standard library only:
``build.py`` runs this before ``.venv`` exists.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from buildtools.common import BuildError, log, run

# The Debian packages the build and the tests need, each with a command (or file) that
# shows it is there (None: ask dpkg). ensure_debian_packages() installs the missing ones
# (as root, with apt-get).
BUILD_PACKAGES: dict[str, str | None] = {"nodejs": "node", "npm": "npm"}
CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own download fails on our machines
# What the browser tests need (each with a command/file showing it is there; None: ask
# dpkg). Firefox and WebKitGTK's MiniBrowser under Xvfb run tests/e2e/test_engines.py.
TEST_PACKAGES: dict[str, str | None] = {
    "chromium": CHROMIUM,
    "firefox-esr": "firefox-esr",
    "webkit2gtk-driver": "WebKitWebDriver",
    "libwebkit2gtk-4.1-0": None,
    "xvfb": "Xvfb",
}


# --- Debian packages ---------------------------------------------------------------------------


def can_apt() -> bool:
    return bool(shutil.which("apt-get")) and hasattr(os, "geteuid") and os.geteuid() == 0


def _present(package: str, probe: str | None) -> bool:
    """Whether ``probe`` (a command or a path) exists; without one, whether dpkg says
    ``package`` is installed."""
    if probe is not None:
        return bool(shutil.which(probe)) or Path(probe).exists()
    if shutil.which("dpkg-query") is None:
        return False
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
    ).stdout
    return status.endswith(" installed")


def ensure_debian_packages(packages: Mapping[str, str | None] | Iterable[str], why: str) -> None:
    """Install the missing ones of ``packages`` with apt-get when we are root; else stop
    and name them. ``packages``: Debian package names, or a mapping of each to a command
    or file that shows it is there (for tools that may come from elsewhere, e.g. nvm)."""
    probes = dict(packages) if isinstance(packages, Mapping) else dict.fromkeys(packages)
    missing = [name for name, probe in probes.items() if not _present(name, probe)]
    if not missing:
        return
    if not can_apt():
        raise BuildError(f"{why}: install the Debian package(s) {' '.join(missing)}")
    log(f"installing Debian's {' '.join(missing)} …")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", *missing], env=env)


# --- the virtual environment ------------------------------------------------------


def in_venv(venv: Path) -> bool:
    return Path(sys.prefix).resolve() == venv.resolve()


def ensure_venv(root: Path, venv: Path) -> Path:
    """``venv`` with the dev dependencies of ``root``'s pyproject.toml (re-installed when
    that file changes); its python."""
    python = venv / "bin" / "python"
    stamp = venv / ".adtracker-deps"
    want = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()
    if not python.exists():
        if importlib.util.find_spec("ensurepip") is None:  # Debian splits venv out
            version = f"{sys.version_info.major}.{sys.version_info.minor}"
            ensure_debian_packages(
                {f"python{version}-venv": f"/usr/lib/python{version}/ensurepip"},
                "creating .venv needs ensurepip",
            )
        log(f"creating {venv.relative_to(root)} …")
        run([sys.executable, "-m", "venv", str(venv)])
    if not stamp.exists() or stamp.read_text().strip() != want:
        log("installing the dev dependencies from pyproject.toml …")
        run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "-e", ".[dev]"],
            cwd=root,
        )  # fmt: skip
        stamp.write_text(want)
    return python


def ensure_browsers() -> None:
    """Debian's browsers when possible (a test tool's own browser download fails on the
    project's machines); Playwright's own Chromium where apt-get cannot run."""
    if not can_apt() and not Path(CHROMIUM).exists():
        log("no system Chromium: installing Playwright's own …")
        run([sys.executable, "-m", "playwright", "install", "chromium"])
        return
    ensure_debian_packages(TEST_PACKAGES, "the browser tests need them")
