"""The loader's pre-boot queue (web/src/preboot.js), run under Node on a fake storage.

What it stores, when (consent), within which bounds, beside other tabs' items, and that
what it stores is what Python reads (adtracker/events/preboot.py). The browser side (the
observer that fills the ad records in) runs in tests/e2e/test_preboot_ads.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from adtracker.base import keys, limits
from adtracker.events import preboot
from buildtools import loader
from tests.unit.fakes import RecordingLog
from tests.unit.node import STORAGE_JS, run_node

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "web" / "src"
PARTS = "\n".join((SOURCE / name).read_text("utf-8") for name in ("builtins.js", "preboot.js"))
VOCABULARY = loader.vocabulary(ROOT / "adtracker")
CLICK = "https://e.example/v1/beacon/click/a?pos=1"
IMP = "https://e.example/v1/beacon/impression/a?pos=1"
VIEW = "https://e.example/v1/beacon/view/a?pos=1"

#: A window with a Storage (Node has no localStorage); `stored` is the queue's JSON or null.
PRELUDE = (
    STORAGE_JS
    + """
const w = { Storage, localStorage: new Storage() };
const captured = captureBuiltins(w, []);
let consent = "granted";
const stored = () => w.localStorage.getItem(V.key);
const parsed = () => JSON.parse(stored() || "null");
"""
)


def _node(body: str, *, before: str = "") -> Any:
    script = (
        f"const V = {json.dumps(VOCABULARY)};\n{PARTS}\n{PRELUDE}\n{before}\n"
        "const q = prebootQueue(captured, V, () => consent);\n"
        f"Promise.resolve((async () => {{ {body} }})()).then((out) =>\n"
        "  console.log(JSON.stringify(out === undefined ? null : out)));\n"
    )
    return run_node(script)


def test_a_click_is_stored_at_once_and_an_ad_on_flush() -> None:
    out = _node(
        f"q.click({json.dumps(CLICK)}); const afterClick = parsed();"
        f"const ad = q.ad({json.dumps(IMP)}, {json.dumps(VIEW)});"
        "ad.p = 5; ad.o.push([5, 0.7, true]);"
        "q.changed(); const beforeFlush = parsed(); q.flush();"
        "return {afterClick, beforeFlush, flushed: parsed(), memory: q.items()};"
    )
    assert [item["u"] for item in out["afterClick"]] == [CLICK]
    assert len(out["beforeFlush"]) == 1  # the ad waits for the coalesced write
    ad = out["flushed"][1]
    assert (ad["i"], ad["v"], ad["p"], ad["o"], ad["e"]) == (IMP, VIEW, 5, [[5, 0.7, True]], None)
    assert ad["s"] > 5  # observed until the write
    assert [item.get("u") or item["i"] for item in out["memory"]] == [IMP]  # the click is stored


def test_pending_consent_stores_nothing_and_denied_keeps_nothing() -> None:
    out = _node(
        f"consent = 'pending'; q.click({json.dumps(CLICK)}); q.ad(null, {json.dumps(VIEW)});"
        "q.end(9); const pending = {stored: stored(), memory: q.items().length};"
        f"consent = 'denied'; q.click({json.dumps(CLICK)}); q.end(10);"
        "return {pending, denied: {stored: stored(), memory: q.items().length}};"
    )
    assert out == {
        "pending": {"stored": None, "memory": 2},
        "denied": {"stored": None, "memory": 2},
    }


def test_other_tabs_items_stay_and_release_removes_only_this_pages() -> None:
    other = [{"u": "https://e.example/other", "t": 1}, {"g": "other-tab", "i": IMP, "p": 1}]
    before = f"w.localStorage.setItem(V.key, {json.dumps(json.dumps(other))});"
    out = _node(
        f"q.ad({json.dumps(IMP)}, null).p = 3; q.end(4); const ended = parsed();"
        "q.release(); const released = parsed(); q.end(5); q.flush();"
        "return {ended, released, after: parsed(), memory: q.items().length};",
        before=before,
    )
    assert out["ended"][:2] == other and out["ended"][2]["e"] == 4
    assert out["released"] == out["after"] == other
    assert out["memory"] == 1  # still handed to Python in memory


def test_bounds_keep_the_newest_clicks_and_ads_and_the_size() -> None:
    n_clicks, n_ads = limits.MAX_PREBOOT_CLICKS + 10, limits.MAX_PREBOOT_ADS + 5
    out = _node(
        f"for (let k = 0; k < {n_clicks}; k++) q.click('c' + k);"
        f"let made = 0; for (let k = 0; k < {n_ads}; k++) if (q.ad('i' + k, null)) made++;"
        "q.flush(); const list = parsed();"
        "return {made, clicks: list.filter((x) => 'u' in x).map((x) => x.u), ads: list.length};"
    )
    assert out["made"] == limits.MAX_PREBOOT_ADS
    assert out["clicks"] == [f"c{k}" for k in range(10, n_clicks)]
    assert out["ads"] == limits.MAX_PREBOOT_CLICKS + limits.MAX_PREBOOT_ADS


def test_over_the_size_the_oldest_ads_go_first_and_clicks_stay() -> None:
    long_url = "https://e.example/v1/beacon/impression/" + "x" * 1500
    out = _node(
        f"for (let k = 0; k < 5; k++) q.click('c' + k);"
        f"for (let k = 0; k < 40; k++) q.ad({json.dumps(long_url)} + k, null);"
        "q.flush(); return {text: stored().length, list: parsed()};"
    )
    assert out["text"] <= limits.MAX_PREBOOT_CHARS
    ads = [item["i"] for item in out["list"] if "g" in item]
    assert [item["u"] for item in out["list"] if "u" in item] == [f"c{k}" for k in range(5)]
    assert ads and ads[-1] == f"{long_url}39"  # the newest kept, the oldest dropped
    assert len(ads) < 40


def test_unreadable_storage_keeps_the_click_for_this_page() -> None:
    out = _node(
        f"q.click({json.dumps(CLICK)}); return {{stored: stored(), memory: q.items()}};",
        before="w.localStorage.setItem(V.key, 'not json');",
    )
    assert out["stored"] == "not json"
    assert [item["u"] for item in out["memory"]] == [CLICK]


def test_what_the_loader_stores_is_what_python_reads() -> None:
    text = _node(
        f"q.click({json.dumps(CLICK)}); const ad = q.ad({json.dumps(IMP)}, {json.dumps(VIEW)});"
        "ad.p = Date.now() - 3000; ad.o.push([Date.now() - 3000, 0.8, true]);"
        "q.end(Date.now() - 1000); return stored();"
    )
    assert json.loads(text)[1]["g"]  # a page token
    log = RecordingLog()
    items = preboot.parse_queue(text, log)
    found = preboot.events_to_send(items, time.time(), log, live=False)
    assert [(kind, url) for kind, url, _ in found] == [
        ("click", CLICK),
        ("impression", IMP),
        ("view", VIEW),
    ]
    assert log.lines == []
    assert keys.PREBOOT == VOCABULARY["key"]
