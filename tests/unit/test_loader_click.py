"""The loader's own pre-boot click (web/src/click.js), run under Node, pinned to Python.

Its three copied rules are checked against Python's on tables and generated inputs: what
the loader sends to, Python would send to (its URL and origin checks are a subset of
Python's); its ids are Python's ``resolve``; its dedup key and mark are Python's. Then
the whole path: what the loader leaves in storage after a click is handed to a Python
tracker on fakes, which must see the same ids and dedup key (the click is a duplicate
for it), report the click rather than send it again, and send it again only when the
loader got no 2xx.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adtracker.base import beacon, keys
from adtracker.base.store import MemoryStorage
from adtracker.commands import ARGUMENTS
from adtracker.config import ATTRIBUTES, config_from_attributes
from adtracker.delivery.outbox import OutboxEntry
from adtracker.events import dedup, preboot
from adtracker.events.marks import DedupMark
from adtracker.events.urls import check_beacon_url, origin_of
from adtracker.ids import identity
from adtracker.ids.host_id import HOST_ID
from adtracker.ids.identity import EventBody, IdentityRecord
from buildtools import loader
from tests.unit.fakes import FakeClock, make_rig
from tests.unit.node import STORAGE_JS, run_node

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "web" / "src"
PARTS = "\n".join(
    (SOURCE / name).read_text("utf-8") for name in ("builtins.js", "preboot.js", "click.js")
)
VOCABULARY = loader.vocabulary(ROOT / "adtracker")
COLLECTOR = "http://127.0.0.1:8766"
AD = COLLECTOR + "/v1/beacon/click/4a94bc6e?pos=1&sig=a%2Fb"
AD2 = COLLECTOR + "/v1/beacon/click/5b05cd7f?pos=2"
ATTRS = {"beacon-origins": COLLECTOR}


def _functions(calls: str) -> Any:
    """Run ``calls`` (a JS expression) with the loader's parts defined; its JSON value."""
    script = f"const V = {json.dumps(VOCABULARY)};\n{PARTS}\nconsole.log(JSON.stringify({calls}));"
    return run_node(script)


# --- the copied rules, each a subset of Python's ------------------------------------------

URLS = [
    AD,
    "https://events.newtail-media.newtail.com.br/v1/beacon/click/x?pos=1&ad=a%20b",
    "https://events-api.ads.vtex.com:443/v1/beacon/click/x",
    "https://events-api.ads.vtex.com:0443/x",
    "http://127.0.0.1:8766",
    "http://127.0.0.1:8766?x=1",
    "http://127.0.0.1:8766#frag",
    "http://127.0.0.1:80/x",
    "HTTP://127.0.0.1:8766/x",
    "http://127.0.0.1:8766/x y",
    " http://127.0.0.1:8766/x",
    "http://127.0.0.1:8766\\x",
    "http://user@127.0.0.1:8766/x",
    "http://127.0.0.1:8766@evil.example/x",
    "http://127.0.0.1:99999/x",
    "http://127.0.0.1:/x",
    "http://[::1]:8766/x",
    "https://Events-API.ads.vtex.com/x",
    "//127.0.0.1:8766/x",
    "/v1/beacon/click/x",
    "javascript:alert(1)",
    "http://127.0.0.1:8766/é",
    "http://127.0.0.1:8766/" + "a" * 9000,
    "",
]
ORIGINS = [*beacon.DEFAULT_BEACON_ORIGINS, COLLECTOR, "http://127.0.0.1", "https://-"]


def _subset_of_pythons_url_check(urls: list[str]) -> list[str | None]:
    found = _functions(
        f"{json.dumps(urls)}.map((u) => loaderUrlOrigin(u, {json.dumps(ORIGINS)}, V))"
    )
    for url, origin in zip(urls, found, strict=True):
        if origin is not None:
            assert check_beacon_url(url, frozenset(ORIGINS)).ok, url
            assert origin_of(url) == origin, url
    return found


def test_the_url_check_sends_only_where_python_would() -> None:
    found = _subset_of_pythons_url_check(URLS)
    accepted = [url for url, origin in zip(URLS, found, strict=True) if origin]
    assert accepted == URLS[:8]  # the usual forms are the loader's, the odd ones Python's


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.builds(
            lambda scheme, host, port, rest: f"{scheme}://{host}{port}{rest}",
            st.sampled_from(["http", "https", "HTTP", "ftp", "http:", ""]),
            st.sampled_from(["127.0.0.1", "events-api.ads.vtex.com", "-", "a@b", "[::1]", ""]),
            st.sampled_from(["", ":8766", ":80", ":443", ":0", ":", ":65536", ":08766"]),
            st.text(alphabet="/?#@:\\ %aZ\t.é", max_size=12),
        ),
        min_size=20,
        max_size=20,
    )
)
def test_generated_urls_never_pass_the_loader_alone(urls: list[str]) -> None:
    _subset_of_pythons_url_check(urls)


ORIGIN_ATTRIBUTES = [
    COLLECTOR,
    f"  {COLLECTOR}/ \n https://events-api.ads.vtex.com:443 {COLLECTOR}",
    "https://e.example:0443/",
    "https://E.example",
    "https://e.example/path",
    "https://e.example?x",
    "ftp://e.example",
    "",
    "   ",
    "https://e.example\u00a0https://f.example",
    "https://e.example:99999",
]


def test_the_beacon_origins_attribute_is_read_as_python_reads_it() -> None:
    found = _functions(f"{json.dumps(ORIGIN_ATTRIBUTES)}.map((a) => loaderOrigins(a, V))")
    for raw, origins in zip(ORIGIN_ATTRIBUTES, found, strict=True):
        if origins is not None:
            config, problems = config_from_attributes({"beacon-origins": raw})
            assert problems == [] and list(config.beacon_origins) == origins, raw
    assert [o is not None for o in found] == [True, True, True] + [False] * 8
    assert _functions("loaderOrigins(undefined, V)") == list(beacon.DEFAULT_BEACON_ORIGINS)


HOST_IDS = ["u-1", "Zoë", 'a"b\\c', "x" * 256, "x" * 257, "", "a\nb", "\x7f", "😀", "\ud800"]


def test_host_ids_are_used_only_as_python_takes_them() -> None:
    found = _functions(f"{json.dumps(HOST_IDS)}.map((v) => loaderHostId(v, V))")
    for value, taken in zip(HOST_IDS, found, strict=True):
        if taken is not False:
            assert taken == value and HOST_ID.validate_python(value) == value
            assert config_from_attributes({"user-id": value})[0].user_id == value
    assert [t is not False for t in found] == [True] * 4 + [False] * 6
    # The body the loader writes is byte for byte Python's.
    bodies = _functions(
        f"{json.dumps(HOST_IDS[:4])}.map((v) => captureBuiltins({{}}, []).stringify("
        "{user_id: v, session_id: 's'}))"
    )
    assert bodies == [EventBody(user_id=v, session_id="s").model_dump_json() for v in HOST_IDS[:4]]


NOW = 1_800_000_000.0
TTL = 30 * 86_400.0
RECORDS: list[dict[str, object] | None] = [
    None,
    {"anon_user_id": "a", "session_id": "s", "session_seen": NOW - 100},
    {"anon_user_id": "a", "session_id": "s", "session_seen": NOW - TTL},
    {"anon_user_id": "a", "session_id": "s", "session_seen": NOW - TTL + 1},
    {"anon_user_id": "a", "session_id": "s", "session_seen": NOW + 86_400 + 1},
    {"anon_user_id": "a", "session_id": "s", "session_seen": NOW + 86_400},
]


@pytest.mark.parametrize("host_user", [None, "host-u"])
def test_the_ids_are_pythons_resolve(host_user: str | None) -> None:
    calls = (
        f"{json.dumps(RECORDS)}.map((r) => {{ let n = 0;"
        f" return loaderIds(r, {NOW}, {json.dumps(host_user)}, undefined,"
        " () => 'id-' + ++n, V); })"
    )
    config = config_from_attributes({"user-id": host_user} if host_user else {})[0]
    for record, out in zip(RECORDS, _functions(calls), strict=True):
        counter = iter(range(1, 10))
        stored = IdentityRecord.model_validate(record) if record else None
        ids, kept = identity.resolve(stored, config, NOW, lambda c=counter: f"id-{next(c)}")
        assert (out["user"], out["session"]) == (ids.user_id, ids.session_id), record
        assert IdentityRecord.model_validate(out["record"]) == kept


STORED_RECORDS: list[object] = [
    *RECORDS[1:2],
    {"anon_user_id": "a", "session_id": "s", "session_seen": 0, "extra": 1},
    {"anon_user_id": "", "session_id": "s", "session_seen": 1},
    {"anon_user_id": "a" * 129, "session_id": "s", "session_seen": 1},
    {"anon_user_id": "a", "session_id": "s", "session_seen": -1},
    {"anon_user_id": "a", "session_id": "s", "session_seen": "1"},
    {"anon_user_id": "a", "session_id": 5, "session_seen": 1},
    ["a", "s", 1],
    "text",
]


def test_a_stored_record_the_loader_keeps_is_one_python_reads() -> None:
    found = _functions(f"{json.dumps(STORED_RECORDS)}.map((r) => loaderIdsRecord(r, V))")
    for raw, kept in zip(STORED_RECORDS, found, strict=True):
        if kept is not None:
            assert IdentityRecord.model_validate(raw).anon_user_id == kept["anon_user_id"]
    assert [k is not None for k in found] == [True, True] + [False] * 7


def test_the_attributes_and_commands_it_steps_aside_for_are_pythons() -> None:
    names = _functions("[IDS_ELSEWHERE, IDS_COMMANDS]")
    assert {ATTRIBUTES[name] for name in names[0]} == {
        "user_id_from",
        "session_id_from",
        "session_ttl_days",
    }
    assert set(names[1]) <= set(ARGUMENTS) and {"identify", "consent"} == set(names[1])
    assert "user-id" in ATTRIBUTES and "session-id" in ATTRIBUTES and "beacon-origins" in ATTRIBUTES


# --- the whole path: the loader's click, then Python ---------------------------------------

#: A window for the loader's parts: a Storage, the browser's crypto, a fetch the test answers.
PRELUDE = (
    STORAGE_JS
    + """
const fetched = [];
let answer = (url) => Promise.resolve({ status: 202 });
const w = {
  Storage, localStorage: new Storage(), crypto: globalThis.crypto, TextEncoder, AbortSignal,
  fetch: (url, init) => {
    fetched.push({ url, init: { ...init, signal: typeof init.signal } });
    return answer(url);
  },
};
const captured = captureBuiltins(w, []);
let consent = "granted", mayAct = true;
const q = prebootQueue(captured, V, () => consent);
const settle = () => new Promise((r) => setTimeout(r, 20));
const storage = () => Object.fromEntries(w.localStorage._d);
"""
)


def _loader(body: str, attrs: dict[str, str] | None = None) -> Any:
    script = (
        f"const V = {json.dumps(VOCABULARY)};\n{PARTS}\n{PRELUDE}\n"
        f"const sender = prebootSender(w, captured, V, {json.dumps(attrs or ATTRS)}, q,"
        " () => consent, () => mayAct);\n"
        "const click = (u) => { const item = q.click(u); if (item && sender) sender.send(item); };"
        "\n"
        f"(async () => {{ {body} }})().then((out) => console.log(JSON.stringify(out ?? null)));\n"
    )
    return run_node(script)


def _python(storage: dict[str, str], now: float, **config: object):
    memory = MemoryStorage()
    memory.data.update(storage)
    rig = make_rig(storage=memory, clock=FakeClock(now), **config)
    rig.tracker.start()
    rig.scheduler.run()
    return rig


def _entries(storage: dict[str, str]) -> list[OutboxEntry]:
    return [
        OutboxEntry.model_validate_json(v)
        for k, v in storage.items()
        if k.startswith(keys.OUTBOX_PREFIX)
    ]


def test_a_first_visit_click_is_sent_at_once_in_pythons_terms_and_python_takes_it_over() -> None:
    out = _loader(
        "answer = () => new Promise(() => {});"  # unanswered yet: the page left, or slow
        f"click({json.dumps(AD)}); await settle(); const sent = storage();"
        f"click({json.dumps(AD)}); await settle();"  # the same ad again: a duplicate
        "return { fetched, sent, now: Date.now() / 1000 };"
    )
    assert len(out["fetched"]) == 1
    request = out["fetched"][0]
    sent: dict[str, str] = out["sent"]
    ids = IdentityRecord.model_validate_json(sent[keys.IDS])  # a first visit: made, stored
    body = EventBody(user_id=ids.anon_user_id, session_id=ids.session_id).model_dump_json()
    assert request["url"] == AD
    assert request["init"] == {
        **beacon.REQUEST_INIT,
        "headers": beacon.REQUEST_HEADERS,
        "body": body,
        "signal": "object",
    }
    (click,) = [x for x in json.loads(sent[keys.PREBOOT]) if "u" in x]
    key = dedup.dedup_key("click", ids.anon_user_id, ids.session_id, AD)
    mark = DedupMark.model_validate_json(sent[key])
    assert mark.e == dedup.expiry_for("click", click["t"] / 1000)
    (entry,) = _entries(sent)
    assert (entry.id, entry.url, entry.body, entry.attempts) == (click["o"], AD, body, 1)
    assert entry.maybe_reached and entry.lease_until > out["now"]

    rig = _python(sent, out["now"], beacon_origins=(COLLECTOR,), debug=True)
    assert rig.transport.sent == []  # the outbox has it, leased to the loader's attempt
    assert [(d.outcome, d.reason) for d in rig.decisions] == [("sent", preboot.LOADER_SENT)]
    assert rig.tracker.track_click(AD) == "deduplicated"  # the same ids, the same key


def test_an_answered_click_is_reported_delivered_and_never_sent_again() -> None:
    out = _loader(
        f"click({json.dumps(AD)}); await settle();"
        "return { s: storage(), now: Date.now() / 1000 };"
    )
    assert _entries(out["s"]) == []  # the 202 removed the entry
    rig = _python(out["s"], out["now"], beacon_origins=(COLLECTOR,))
    rig.scheduler.advance(3_600)
    assert rig.transport.sent == []
    assert [d.outcome for d in rig.decisions] == ["delivered"]


@pytest.mark.parametrize(
    "failure", ["Promise.resolve({ status: 503 })", "Promise.reject(new TypeError('x'))"]
)
def test_no_2xx_leaves_the_click_to_pythons_outbox(failure: str) -> None:
    out = _loader(
        f"answer = () => {failure}; click({json.dumps(AD)}); await settle();"
        "return { s: storage(), now: Date.now() / 1000 };"
    )
    (entry,) = _entries(out["s"])
    assert entry.lease_until == 0  # due at once
    rig = _python(out["s"], out["now"], beacon_origins=(COLLECTOR,))
    assert [s.url for s in rig.transport.sent] == [AD]
    assert rig.transport.sent[0].body == entry.body
    rig.transport.answer(0, 202)
    assert _entries(rig.storage.data) == []


def test_host_ids_are_sent_and_a_second_ad_is_its_own_click() -> None:
    attrs = {**ATTRS, "user-id": "u-9", "session-id": "s-9"}
    out = _loader(
        f"click({json.dumps(AD)}); click({json.dumps(AD2)}); await settle(); return fetched;", attrs
    )
    assert sorted(f["url"] for f in out) == sorted([AD, AD2])
    assert {f["init"]["body"] for f in out} == {'{"user_id":"u-9","session_id":"s-9"}'}


#: Storage that refuses writes of keys starting with PREFIX after SKIP of them.
FULL = (
    "const put = w.localStorage._d.set.bind(w.localStorage._d); let n = 0;"
    "w.localStorage._d.set = (k, v) => { if (k.startsWith(PREFIX) && n++ >= SKIP)"
    " throw new Error('QuotaExceededError'); return put(k, v); };"
)


@pytest.mark.parametrize(
    ("setup", "attrs"),
    [
        ("consent = 'pending';", ATTRS),  # kept in memory: Python's
        ("mayAct = false;", ATTRS),  # handed over, or an identify/consent command queued
        ("", {**ATTRS, "session-id-from": "cookie:sid"}),  # ids from a place
        ("", {**ATTRS, "user-id": ""}),  # an id Python drops
        ("", {"beacon-origins": "https://elsewhere.example"}),  # not an allowed origin
        ("", {**ATTRS, "beacon-origins": COLLECTOR + "/path"}),  # Python drops the attribute
        (FULL.replace("PREFIX", "V.outboxPrefix").replace("SKIP", "0"), ATTRS),  # no entry
        (FULL.replace("PREFIX", "V.dedupPrefix").replace("SKIP", "0"), ATTRS),  # no mark
        (FULL.replace("PREFIX", "V.key").replace("SKIP", "1"), ATTRS),  # the item not named
    ],
)
def test_otherwise_the_click_is_left_to_python(setup: str, attrs: dict[str, str]) -> None:
    out = _loader(
        f"{setup} click({json.dumps(AD)}); await settle(); return {{ fetched, s: storage() }};",
        attrs,
    )
    assert out["fetched"] == []
    assert _entries(out["s"]) == []
    assert not [k for k in out["s"] if k.startswith(keys.DEDUP_PREFIX)]


def test_a_click_another_tab_took_meanwhile_is_not_sent_nor_half_written() -> None:
    out = _loader(
        f"click({json.dumps(AD)}); w.localStorage.removeItem(V.key);"  # another tab's Python
        "await settle(); return { fetched, s: storage() };"
    )
    assert out["fetched"] == []
    assert set(out["s"]) == {keys.IDS}


def test_a_mark_python_left_holds_the_loaders_click_back() -> None:
    out = _loader(
        f"click({json.dumps(AD)}); await settle(); const first = storage();"
        "w.localStorage._d = new Map(Object.entries(first)); fetched.length = 0;"
        f"const again = prebootQueue(captured, V, () => consent);"
        "const s2 = prebootSender(w, captured, V, "
        + json.dumps(ATTRS)
        + ", again, () => consent, () => true);"
        f"const item = again.click({json.dumps(AD)}); s2.send(item); await settle();"
        "return { fetched, s: storage() };"
    )
    assert out["fetched"] == []  # a new page view, the same ids: deduplicated
    clicks = [x for x in json.loads(out["s"][keys.PREBOOT]) if "u" in x]
    assert [("o" in c) for c in clicks] == [True, False]  # the second is Python's to report
