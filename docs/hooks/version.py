"""MkDocs hook: the docs show the version set in one place, ``__version__`` in
adtracker/__init__.py (read by ``buildtools.common.project_version``, as the build does).

``{{ version }}`` in a page's Markdown becomes that version, and the footer reads
``adtracker <version>``. No file under docs/ states the version itself.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # e.g. mkdocs from a non-editable install
    sys.path.insert(0, str(ROOT))

from buildtools.common import project_version  # noqa: E402

PLACEHOLDER = "{{ version }}"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    version = project_version()
    config.extra["adtracker_version"] = version
    config.copyright = f"adtracker {version} · MIT licence"
    return config


def on_page_markdown(markdown: str, *, config: MkDocsConfig, **_: Any) -> str:
    return markdown.replace(PLACEHOLDER, config.extra["adtracker_version"])
