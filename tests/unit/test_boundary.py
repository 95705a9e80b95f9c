"""The pure core must never import the browser: the lint rule that enforces it is live."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def ruff(source: str, filename: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "TID251",
            "--stdin-filename",
            filename,
            "-",
        ],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    "source", ["import js\n", "from js import document\n", "from pyodide.ffi import create_proxy\n"]
)
def test_core_may_not_import_the_browser(source: str) -> None:
    result = ruff(source, "adtracker/events/dedup.py")
    assert result.returncode == 1 and "TID251" in result.stdout


def test_browser_package_may() -> None:
    assert (
        ruff("import js\nfrom pyodide.ffi import to_js\n", "adtracker/browser/dom.py").returncode
        == 0
    )


def test_core_imports_on_plain_cpython() -> None:
    code = (
        "import sys, adtracker, adtracker.tracker\n"
        "assert 'js' not in sys.modules and 'pyodide' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- the layers (pyproject.toml's [tool.importlinter]) ------------------------------------


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter on the package under ``root`` (found first on the path)."""
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
         "lint_imports_command()", "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )  # fmt: skip


def test_the_core_keeps_its_layers() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("adtracker/base/limits.py", "adtracker.tracker"),  # the base imports nothing above
        ("adtracker/delivery/retry.py", "adtracker.consent.waiting"),  # siblings stay apart
        ("adtracker/ids/identity.py", "adtracker.config"),
    ],
)
def test_an_import_that_runs_up_breaks_the_layers(tmp_path: Path, module: str, upward: str) -> None:
    shutil.copytree(ROOT / "adtracker", tmp_path / "adtracker")
    with (tmp_path / module).open("a", encoding="utf-8") as source:
        source.write(f"\nimport {upward}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1 and "BROKEN" in result.stdout, result.stdout
