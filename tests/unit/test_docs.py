"""The README stays one screen and points at every page of the docs site; the site's nav
covers every page in docs/. (The strict mkdocs build in ``build.py test`` checks links and
anchors inside the site; these are the checks it cannot make, in a second.)"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
MAX_README_LINES = 200
# Markdown links and images: [text](target) — the target up to a space, "#" or ")".
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)\s]*)?\)")


def nav_pages(nav: object) -> list[str]:
    """Every page path in an mkdocs ``nav`` (nested lists of ``{title: page or [..]}``)."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    raise TypeError(f"unexpected nav entry {nav!r}")


def mkdocs_config() -> dict:
    # safe_load: mkdocs.yml keeps to plain YAML (no !!python/name: tags) so this reads it.
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def readme_links() -> set[str]:
    return set(LINK.findall(README.read_text(encoding="utf-8")))


def test_readme_is_one_screen():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines"


def test_readme_links_to_every_page_in_the_nav():
    pages = nav_pages(mkdocs_config()["nav"])
    assert pages, "mkdocs.yml has no nav"
    missing = [p for p in pages if f"docs/{p}" not in readme_links()]
    assert not missing, f"README.md does not link to docs/{missing}"


def test_readme_relative_links_exist():
    relative = [t for t in readme_links() if not re.match(r"[a-z]+:", t)]
    assert relative
    assert not [t for t in relative if not (ROOT / t).is_file()]


def test_nav_lists_every_page_and_only_existing_ones():
    config = mkdocs_config()
    pages = nav_pages(config["nav"])
    assert len(pages) == len(set(pages))
    assert not [p for p in pages if not (DOCS / p).is_file()]
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert on_disk == set(pages)


def test_changelog_page_includes_the_one_changelog():
    assert '--8<-- "CHANGELOG.md"' in (DOCS / "changelog.md").read_text(encoding="utf-8")


def test_performance_page_shows_the_benchmark_charts():
    text = (DOCS / "performance.md").read_text(encoding="utf-8")
    for chart in ("first-visit-bytes.svg", "main-thread.svg"):
        assert f"](assets/perf/{chart})" in text
