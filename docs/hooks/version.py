"""MkDocs hook: the docs show the version set in one place, pyproject.toml.

``{{ version }}`` in a page's Markdown becomes ``[project] version``, and the footer
reads ``adtracker <version>``. No other file states the version for the docs.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
PLACEHOLDER = "{{ version }}"


def project_version(pyproject: Path = PYPROJECT) -> str:
    """``[project] version`` from pyproject.toml."""
    with pyproject.open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    version = project_version()
    config.extra["adtracker_version"] = version
    config.copyright = f"adtracker {version} · MIT licence"
    return config


def on_page_markdown(markdown: str, *, config: MkDocsConfig, **_: Any) -> str:
    return markdown.replace(PLACEHOLDER, config.extra["adtracker_version"])
