"""What every build step shares: the error type, logging, running commands, hashing.
Standard library only (imported before ``.venv`` exists)."""

from __future__ import annotations

import hashlib
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
