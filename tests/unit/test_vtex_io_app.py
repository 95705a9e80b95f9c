"""The VTEX IO pixel app (integrations/vtex-io): manifest, settings schema, store files,
and head.html rendered as VTEX's pixel builder renders it."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from tests.vtex_io_template import APP, SETTING, head_html, manifest, render

GOOD = {
    "distUrl": "https://cdn.example.com/adtracker/dist/",
    "publisherId": "pub-123",
    "beaconOrigins": "",
    "consentMode": "granted",
    "debug": False,
}


def schema() -> dict[str, Any]:
    return manifest()["settingsSchema"]


def test_manifest_follows_vtex_pixel_conventions() -> None:
    m = manifest()
    assert m["builders"] == {"pixel": "0.x", "store": "0.x"}
    assert m["dependencies"] == {"vtex.pixel-interfaces": "1.x"}
    assert {"name": "pixel"} in m["policies"]
    jsonschema.Draft7Validator.check_schema(schema())
    assert set(schema()["properties"]) == {
        "distUrl",
        "publisherId",
        "beaconOrigins",
        "consentMode",
        "debug",
    }


def test_store_files_register_the_pixel() -> None:
    interfaces = json.loads((APP / "store" / "interfaces.json").read_text())
    plugins = json.loads((APP / "store" / "plugins.json").read_text())
    assert plugins == {"pixels > pixel": "pixel.adtracker"}
    assert set(plugins.values()) <= set(interfaces)


def test_head_html_reads_only_declared_settings() -> None:
    used = set(SETTING.findall((APP / "pixel" / "head.html").read_text()))
    assert used == set(schema()["properties"])


def test_good_settings_validate() -> None:
    jsonschema.validate(GOOD, schema())
    jsonschema.validate(
        {**GOOD, "beaconOrigins": "https://a.example http://127.0.0.1:8001", "debug": True},
        schema(),
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"publisherId": "pub-123"},  # no dist URL
        {**GOOD, "distUrl": "https://cdn.example.com/adtracker/dist"},  # no trailing slash
        {**GOOD, "distUrl": 'https://cdn.example.com/"><script>/'},
        {**GOOD, "publisherId": 'pub"123'},
        {**GOOD, "beaconOrigins": "https://a.example/path"},
        {**GOOD, "consentMode": "denied"},
    ],
)
def test_bad_settings_are_refused_by_the_schema(bad: dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema())


def test_rendering_escapes_values_and_leaves_no_expression() -> None:
    out = head_html({**GOOD, "publisherId": 'a"b<c'})
    assert 'data-adtracker-publisher-id="a&quot;b&lt;c"' in out
    assert "{{" not in out
    assert 'data-adtracker-debug="false"' in out
    assert 'data-adtracker-beacon-origins=""' in out
    with pytest.raises(ValueError, match="unrendered"):
        render("{{ other }}", GOOD)
    assert re.search(r'data-adtracker-dist-url="https://cdn\.example\.com/adtracker/dist/"', out)
