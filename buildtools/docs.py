"""The documentation site: mkdocs-material and mkdocstrings, from docs/ and mkdocs.yml."""

from __future__ import annotations

import sys
from pathlib import Path

from buildtools.common import log, run


def build_site(config: Path, site_dir: Path) -> Path:
    """Build the site into ``site_dir`` with ``--strict``: a broken link or anchor, a page
    left out of the nav or a docstring griffe cannot read fails the build (BuildError)."""
    log("mkdocs build --strict …")
    run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "--config-file", str(config), "--site-dir", str(site_dir)],
        cwd=config.parent,
    )  # fmt: skip
    return site_dir
