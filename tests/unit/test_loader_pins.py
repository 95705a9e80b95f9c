"""What the JS loader (web/src/tracker.js and its parts) observes by, pinned to Python.

The loader runs before Python exists, so it cannot import these values: build.py fills
them in from Python's modules (buildtools/loader.py, ``V``), and these tests fail when the
loader names one by hand or uses one the vocabulary does not define.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from adtracker.base import beacon, keys, limits
from adtracker.browser import markup
from adtracker.config import TrackerConfig
from adtracker.events import dedup, visibility
from buildtools import loader
from buildtools.common import BuildError

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "web" / "src"
LOADER = loader.inline_parts(SOURCE / "tracker.js")
PARTS = ["builtins.js", "consent.js", "preboot.js", "click.js", "observe.js"]


def _record_function() -> str:
    """The body of the loader's pre-boot ``record(e)`` click listener."""
    found = re.search(r"\n(\s*)function record\(e\) \{\n(.*?)\n\1\}\n", LOADER, re.S)
    assert found, "web/src/tracker.js has no pre-boot function record(e)"
    return found.group(2)


def _python_constant(relative: str, name: str) -> object:
    """A module-level constant read from source (the module imports ``js``: not on CPython)."""
    tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                assert node.value is not None
                return ast.literal_eval(node.value)
    raise AssertionError(f"{relative} defines no {name}")


def test_the_vocabulary_is_pythons() -> None:
    assert loader.vocabulary(ROOT / "adtracker") == {
        "key": keys.PREBOOT,
        "clickAttr": markup.CLICK_ATTR,
        "clickSelector": markup.CLICK_SELECTOR,
        "impressionAttr": markup.IMPRESSION_ATTR,
        "viewAttr": markup.VIEW_ATTR,
        "watchedSelector": markup.WATCHED_SELECTOR,
        "viewRatio": visibility.VIEW_RATIO,
        "recheckSeconds": visibility.PAINT_RECHECK_SECONDS,
        "maxClicks": limits.MAX_PREBOOT_CLICKS,
        "maxAds": limits.MAX_PREBOOT_ADS,
        "maxChanges": limits.MAX_PREBOOT_CHANGES,
        "maxChars": limits.MAX_PREBOOT_CHARS,
        "writeSeconds": limits.PREBOOT_WRITE_SECONDS,
        "defaultOrigins": TrackerConfig().beacon_origins,
        "requestInit": beacon.REQUEST_INIT,
        "requestHeaders": beacon.REQUEST_HEADERS,
        "requestTimeout": TrackerConfig().request_timeout,
        "leaseMargin": limits.LEASE_MARGIN_SECONDS,
        "clickWindow": dedup.WINDOWS["click"],
        "sessionTtlDays": TrackerConfig().session_ttl_days,
        "daySeconds": limits.DAY_SECONDS,
        "clockSkew": limits.MAX_CLOCK_SKEW_SECONDS,
        "maxUrlChars": limits.MAX_URL_CHARS,
        "maxIdLength": limits.MAX_ID_LENGTH,
        "maxOwnIdLength": limits.MAX_OWN_ID_LENGTH,
        "idsKey": keys.IDS,
        "dedupPrefix": keys.DEDUP_PREFIX,
        "dedupDigestChars": keys.DEDUP_DIGEST_CHARS,
        "outboxPrefix": keys.OUTBOX_PREFIX,
    }


def _code(text: str) -> str:
    """``text`` without its comments (the loader's prose may name what it observes)."""
    return re.sub(r"/\*.*?\*/|//[^\n]*", "", text, flags=re.S)


def test_the_loader_names_nothing_of_pythons_by_hand() -> None:
    code = _code(LOADER)
    for value in ("data-ad-", keys.PREBOOT, "0.5"):
        assert value not in code, f"the loader spells {value!r}: use V (buildtools/loader.py)"
    used = set(re.findall(r"\bV\.(\w+)", code))
    assert used == set(loader.VOCABULARY), used ^ set(loader.VOCABULARY)


def test_every_part_is_inlined_once_and_the_shipped_loader_is_filled_in() -> None:
    text = (SOURCE / "tracker.js").read_text(encoding="utf-8")
    assert re.findall(r"__ADTRACKER_PART__ ([\w-]+\.js)", text) == PARTS
    assembled = loader.assemble(SOURCE / "tracker.js", ROOT / "adtracker")
    assert "__ADTRACKER_PART__" not in assembled
    assert loader.VOCABULARY_PLACEHOLDER not in assembled
    assert f'"key":"{keys.PREBOOT}"' in assembled


def test_a_missing_part_fails_the_build(tmp_path: Path) -> None:
    (tmp_path / "tracker.js").write_text(
        "(function () {\n  /* __ADTRACKER_PART__ gone.js */\n})();\n"
    )
    with pytest.raises(BuildError, match=r"gone\.js"):
        loader.inline_parts(tmp_path / "tracker.js")


def test_parts_are_indented_to_their_line(tmp_path: Path) -> None:
    (tmp_path / "tracker.js").write_text(
        "(function () {\n    /* __ADTRACKER_PART__ p.js */\n})();\n"
    )
    (tmp_path / "p.js").write_text("function p() {\n\n  return 1;\n}\n")
    assert loader.inline_parts(tmp_path / "tracker.js") == (
        "(function () {\n    function p() {\n\n      return 1;\n    }\n})();\n"
    )


def test_painted_is_asked_as_python_asks_it() -> None:
    """The impression's facts: checkVisibility with Python's options (browser/ads.py)."""
    python = (ROOT / "adtracker" / "browser" / "ads.py").read_text(encoding="utf-8")
    py_options = re.findall(
        r"js_object\((contentVisibilityAuto=True, visibilityProperty=True)\)", python
    )
    js_options = re.findall(r"checkVisibility\(\{ ([^}]*) \}\)", LOADER)
    assert py_options and js_options
    assert js_options[0].replace(": true", "=True") == py_options[0]


def test_preboot_click_rule_is_pythons() -> None:
    record = _record_function()
    assert re.findall(r"\.matches\((V\.\w+)\)", record) == ["V.clickSelector"]
    assert re.findall(r"getAttribute\((V\.\w+)\)", record) == ["V.clickAttr"]
    # Same walk as adtracker/browser/dom.py: the composed path, through open shadow roots.
    assert "composedPath()" in record
    assert "closest(" not in record


def test_loader_converts_to_python_as_deep_as_python_does() -> None:
    depth = _python_constant("adtracker/browser/ffi.py", "TO_PY_DEPTH")
    assert re.findall(r"depth: (\d+)", LOADER) == [str(depth)]
