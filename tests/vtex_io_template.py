"""Renders the VTEX IO pixel app's templates the way VTEX's pixel builder fills them.

The pixel builder replaces ``{{settings.<name>}}`` (spaces inside the braces allowed)
with the app's saved setting, HTML-escaped like Handlebars' double braces; a setting
that was never saved renders as empty text, a boolean as ``true``/``false``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().parents[1] / "integrations" / "vtex-io"
SETTING = re.compile(r"\{\{\s*settings\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(template: str, settings: dict[str, Any]) -> str:
    out = SETTING.sub(lambda m: html.escape(_text(settings.get(m.group(1))), quote=True), template)
    if "{{" in out:
        raise ValueError(f"unrendered template expression in: {out[out.index('{{') :][:80]!r}")
    return out


def head_html(settings: dict[str, Any]) -> str:
    return render((APP / "pixel" / "head.html").read_text(), settings)


def manifest() -> dict[str, Any]:
    return json.loads((APP / "manifest.json").read_text())
