"""The loader's copy of the consent platforms' rules, pinned to Python's.

Before Python runs, ``web/src/tracker.js`` must decide whether a pre-boot click may be
stored: with ``data-consent-from`` that depends on what Consent Mode's ``dataLayer`` or
the TCF CMP says. Its functions are run here under Node on the same tables as Python's
rules (tests/unit/consent_tables.py) and must give the same consent for every case.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from adtracker.config import config_from_attributes
from adtracker.consent import gcm as consent_mode
from adtracker.consent import tcf
from buildtools.loader import inline_parts
from tests.unit.consent_tables import GCM_CASES, TCF_CASES

# The loader as shipped: its consent functions live in web/src/consent.js, inlined.
LOADER = inline_parts(Path(__file__).resolve().parents[2] / "web" / "src" / "tracker.js")


def _function(name: str) -> str:
    """The source of the loader's ``function name(...) {...}`` (one line or a block)."""
    head = rf"\n  (function {name}\([^)]*\) \{{[^\n]*"
    found = re.search(head + r"\})\n", LOADER) or re.search(head + r"\n.*?\n  \})\n", LOADER, re.S)
    assert found, f"web/src/tracker.js has no function {name}"
    return found.group(1)


def _node(script: str) -> Any:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (build.py needs it too)")
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def _python_gcm(layer: list[tuple[str, Any]]) -> str:
    state = consent_mode.ModeState()
    for kind, value in layer:
        if kind == "args":  # the browser edge keeps gtag's pushes only
            state, _ = consent_mode.apply(state, value)
    return consent_mode.consent_of(state)


def test_loader_consent_mode_rule_is_pythons() -> None:
    layers = [layer for _, layer, _ in GCM_CASES]
    script = (
        f"{_function('isObject')}\n{_function('consentModeState')}\n"
        "const toArgs = (a) => (function () { return arguments; }).apply(null, a);\n"
        f"const layers = {json.dumps(layers)};\n"
        "console.log(JSON.stringify(layers.map((layer) => consentModeState(\n"
        "  layer.map(([kind, v]) => (kind === 'args' ? toArgs(v) : v))))));\n"
    )
    loader = _node(script)
    python = [_python_gcm(layer) for layer in layers]
    assert python == [expected for *_, expected in GCM_CASES]  # the table is Python's rule
    assert loader == python, [
        (c[0], js, py) for c, js, py in zip(GCM_CASES, loader, python, strict=True) if js != py
    ]


def test_loader_tcf_rule_is_pythons() -> None:
    answers = [[tc_data, success] for _, tc_data, success, _ in TCF_CASES]
    script = (
        f"{_function('isObject')}\n{_function('tcfConsent')}\n"
        f"const answers = {json.dumps(answers)};\n"
        "console.log(JSON.stringify(answers.map(([tc, ok]) => tcfConsent(tc, ok))));\n"
    )
    loader = _node(script)
    python = [tcf.decide(tc_data, success)[0] for tc_data, success in answers]
    assert python == [expected for *_, expected in TCF_CASES]
    assert loader == python, [
        (c[0], js, py) for c, js, py in zip(TCF_CASES, loader, python, strict=True) if js != py
    ]


SOURCES: list[str | None] = [
    None,
    "",
    "gcm",
    " GCM ",
    "Tcf",
    "tcf\n",
    "\u00a0gcm",
    "onetrust",
    "g cm",
]


def test_loader_reads_data_consent_from_as_python_does() -> None:
    match = re.search(r"^\s*var consentFrom = (.+);$", LOADER, re.M)
    assert match, "tracker.js no longer has its one-line `var consentFrom = …;` rule"
    script = (
        f"const values = {json.dumps(SOURCES)};\n"
        "console.log(JSON.stringify(values.map((v) => {\n"
        '  const attrs = v === null ? {} : { "consent-from": v };\n'
        f"  const consentFrom = {match[1]};\n"
        '  return consentFrom === "gcm" || consentFrom === "tcf" ? consentFrom : null;\n'
        "})));\n"
    )
    loader = _node(script)
    python = [
        config_from_attributes({} if v is None else {"consent-from": v})[0].consent_from
        for v in SOURCES
    ]
    assert loader == python, list(zip(SOURCES, loader, python, strict=True))
