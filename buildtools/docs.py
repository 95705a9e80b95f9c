"""The documentation site: mkdocs-material and mkdocstrings, from docs/ and mkdocs.yml."""

from __future__ import annotations

import os
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
        # Material 9.7+ prints a banner about MkDocs 2.0 on every build; not ours to act on.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    return site_dir
