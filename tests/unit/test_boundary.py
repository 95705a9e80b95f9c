"""The pure core must never import the browser: the lint rule that enforces it is live."""

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
    result = ruff(source, "adtracker/dedup.py")
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
