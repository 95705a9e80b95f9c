"""build.py's pure steps (buildtools/) and what the build promises about web/dist/."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildtools.common import BuildError
from buildtools.wheels import check_pydantic_pin, read_requirements

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
DIGEST = "a" * 64


def write(tmp_path: Path, pin: str, shipped: str) -> tuple[Path, Path]:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        f'[project]\nname = "x"\n[project.optional-dependencies]\ndev = ["pytest>=8", "{pin}"]\n'
    )
    requirements = tmp_path / "pyodide-requirements.txt"
    requirements.write_text(f"# comment\n{shipped} --hash=sha256:{DIGEST}\n")
    return pyproject, requirements


@pytest.mark.parametrize(
    ("pin", "shipped", "ok"),
    [
        ("pydantic==2.14.4", "pydantic==2.14.4", True),
        ("Pydantic == 2.14.4", "pydantic==2.14.4", True),
        ("pydantic==2.14.3", "pydantic==2.14.4", False),
        ("pydantic>=2.10", "pydantic==2.14.4", False),  # the dev extra must pin exactly
        ("pydantic==2.14.4", "annotated-types==0.7.0", False),  # not shipped at all
    ],
)
def test_pydantic_pin_must_equal_the_shipped_one(tmp_path, pin, shipped, ok):
    pyproject, requirements = write(tmp_path, pin, shipped)
    if ok:
        check_pydantic_pin(pyproject, requirements)
    else:
        with pytest.raises(BuildError, match="pydantic"):
            check_pydantic_pin(pyproject, requirements)


def test_the_repository_pins_agree():
    check_pydantic_pin(ROOT / "pyproject.toml", ROOT / "web" / "pyodide-requirements.txt")


def test_requirements_need_an_exact_pin_and_a_hash(tmp_path):
    path = tmp_path / "req.txt"
    path.write_text(f"a-b==1.0 --hash=sha256:{DIGEST}  # why\n\n")
    assert read_requirements(path) == [("a-b", "1.0", DIGEST)]
    path.write_text("a-b>=1.0\n")
    with pytest.raises(BuildError, match="name==version"):
        read_requirements(path)


@pytest.mark.skipif(not (DIST / "tracker.js").exists(), reason="run python3 build.py first")
def test_dist_holds_no_demo_and_no_unfilled_placeholder():
    """What users copy to their host: no demo pages, no build-time placeholder left."""
    assert not (DIST / "demo").exists() and not (DIST / "pyscript-demo").exists()
    assert not list(DIST.glob("*.html"))
    for path in DIST.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".js", ".json", ".toml", ".py"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for placeholder in ("__COLLECTOR_ORIGIN__", "__ADTRACKER_RUNTIME__"):
                assert placeholder not in text, f"{path.relative_to(DIST)} has {placeholder}"
