"""The one rule the JS loader must apply before Python runs, pinned to Python's.

``web/src/tracker.js`` passes the script tag's raw attributes to Python, which alone
parses them (``adtracker.config``). Before Python is up, though, the loader must decide
whether it may store a pre-boot click: not when consent is ``denied`` (drop it) or
``pending`` (memory only). Its one-line consent expression is run here under Node for
a table of attribute values and must classify each exactly as Python's config does.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from adtracker.config import config_from_attributes

LOADER = Path(__file__).resolve().parents[2] / "web" / "src" / "tracker.js"

#: None means the attribute is absent.
VALUES: list[str | None] = [
    None,
    "",
    "granted",
    "GRANTED",
    " Pending ",
    "pending",
    "denied",
    "DENIED\n",
    "\u00a0denied\t",
    "yes",
    "pending-ish",
    "0",
]


def _loader_rule(name: str) -> str:
    """The expression of the loader's one-line rule ``var <name> = …;``."""
    match = re.search(rf"^\s*var {name} = (.+);$", LOADER.read_text(encoding="utf-8"), re.M)
    assert match, f"tracker.js no longer has its one-line `var {name} = …;` rule"
    return match[1]


def _python_rule(value: str | None) -> str:
    attributes = {} if value is None else {"consent": value}
    return config_from_attributes(attributes)[0].consent


def _as_loader_uses_it(consent: str) -> str:
    # record(): "denied" drops the click, "pending" keeps it in memory, else it is stored.
    return consent if consent in ("denied", "pending") else "granted"


def test_loader_consent_rule_matches_python() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (build.py needs it too)")
    script = (
        f"const values = {json.dumps(VALUES)};\n"
        "console.log(JSON.stringify(values.map((v) => {\n"
        "  const attrs = v === null ? {} : { consent: v };\n"
        f"  return {_loader_rule('consent')};\n"
        "})));\n"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    loader = [_as_loader_uses_it(v) for v in json.loads(out.stdout)]
    python = [_python_rule(v) for v in VALUES]
    assert loader == python, list(zip(VALUES, loader, python, strict=True))


#: data-user-id-from values: the loader must keep VTEX's pre-boot messages exactly when
#: Python reads the user id from vtex:userData.
PLACES: list[str | None] = [
    None,
    "",
    "vtex",
    " VTEX ",
    "Vtex:",
    "vtex : ",
    "\u00a0vtex\t",
    "vtex:x",
    "vtex::",
    "cookie:vtex",
    "vtexx",
    "localStorage:uid",
]


def _python_reads_vtex_user_data(value: str | None) -> bool:
    config = config_from_attributes({} if value is None else {"user-id-from": value})[0]
    return config.user_id_from is not None and config.user_id_from.kind == "vtex"


def test_loader_vtex_user_rule_matches_python() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (build.py needs it too)")
    script = (
        f"const values = {json.dumps(PLACES)};\n"
        "console.log(JSON.stringify(values.map((v) => {\n"
        '  const attrs = v === null ? {} : { "user-id-from": v };\n'
        f"  return {_loader_rule('vtexUser')};\n"
        "})));\n"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    loader = json.loads(out.stdout)
    python = [_python_reads_vtex_user_data(v) for v in PLACES]
    assert loader == python, list(zip(PLACES, loader, python, strict=True))
    assert any(loader) and not all(loader)
