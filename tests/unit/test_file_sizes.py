"""Files of one job: the size limits the project keeps (issue 25).

Each Python module of the package, each loader part, each build and benchmark module
keeps to 300 lines, ``build.py`` to 400 (the runtime's ``.mjs`` sources: ``test_bundle.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIMITS = [
    ("adtracker/**/*.py", 300),
    ("web/src/*.js", 300),
    ("buildtools/*.py", 300),
    ("bench/*.py", 300),
    ("build.py", 400),
]


def _over(pattern: str, limit: int) -> dict[str, int]:
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in ROOT.glob(pattern)}
    return {str(p.relative_to(ROOT)): n for p, n in sizes.items() if n > limit}


@pytest.mark.parametrize(("pattern", "limit"), LIMITS)
def test_files_keep_to_their_line_limit(pattern: str, limit: int) -> None:
    assert list(ROOT.glob(pattern)), f"nothing matches {pattern}"
    assert _over(pattern, limit) == {}


def test_the_limit_check_sees_a_long_file(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "long.py").write_text("x = 1\n" * 301)
    (tmp_path / "short.py").write_text("x = 1\n" * 300)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert _over("*.py", 300) == {"long.py": 301}
