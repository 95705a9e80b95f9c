"""What every build step shares: the error type, logging, running commands, hashing.
Standard library only (imported before ``.venv`` exists)."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any


class BuildError(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"build.py: error: {message}")


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def run(cmd: list[str], **kwargs: Any) -> None:
    result = subprocess.run(cmd, **kwargs)
    if result.returncode != 0:
        raise BuildError(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


#: The one place the version is set: ``__version__`` in the package's ``__init__.py``.
#: Hatch reads it for the wheel (``[tool.hatch.version]``), the build stamps it into the
#: loader, the docs hook shows it, and tests/unit/test_version.py pins web/package.json
#: (npm needs a literal) and CHANGELOG.md to it.
VERSION_FILE = Path(__file__).resolve().parents[1] / "adtracker" / "__init__.py"
_VERSION_LINE = re.compile(r'^__version__ = "(\d+\.\d+\.\d+)"(?: *#.*)?$', re.MULTILINE)


def project_version(path: Path = VERSION_FILE) -> str:
    """The project's version, read from ``__version__ = "X.Y.Z"`` in ``path``."""
    found = _VERSION_LINE.findall(path.read_text(encoding="utf-8"))
    if len(found) != 1:
        raise BuildError(f'{path}: expected one line `__version__ = "X.Y.Z"`, found {found}')
    return found[0]
