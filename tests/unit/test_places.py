"""Ids read from where the store keeps them: the pure rules (table-driven) and the
tracker reading them at start, on route changes and before each event."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from adtracker.config import config_from_attributes
from adtracker.ids.places import (
    VTEX_SESSION_COOKIE,
    IdPlace,
    PlacedId,
    checked_id,
    choose,
    cookie_value,
)
from tests.unit.fakes import AD1, AD2, FakePlaces, RecordingLog, make_rig

# --- parsing a place ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        ("cookie:sid", "cookie", "sid"),
        ("  Cookie : sid ", "cookie", "sid"),
        ("localStorage:shop.session", "localStorage", "shop.session"),
        ("LOCALSTORAGE:k", "localStorage", "k"),
        ("sessionStorage:a:b", "sessionStorage", "a:b"),  # the key keeps later colons
        ("sessionStorage:über-id", "sessionStorage", "über-id"),
        ("vtex", "vtex", ""),
        (" VTEX ", "vtex", ""),
        ("cookie:__Host-sid", "cookie", "__Host-sid"),
    ],
)
def test_places_parse(text: str, kind: str, key: str) -> None:
    place = IdPlace.model_validate(text)
    assert (place.kind, place.key) == (kind, key)
    assert IdPlace.model_validate(str(place)) == place  # str() writes it back


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("", "is not a place"),
        ("sid", "is not a place"),
        ("window:sid", "is not a place"),
        ("cookie:", "needs a name"),
        ("localStorage:  ", "needs a name"),
        ("cookie:a b", "not a cookie name"),
        ("cookie:a;b", "not a cookie name"),
        ("cookie:a=b", "not a cookie name"),
        ("sessionStorage:a\x00b", "control characters"),
        ("vtex:VtexRCMacIdv7", "vtex takes no name"),
        ("cookie:" + "x" * 300, "at most 256"),
    ],
)
def test_bad_places_say_why(text: str, named: str) -> None:
    with pytest.raises(ValidationError) as caught:
        IdPlace.model_validate(text)
    assert named in str(caught.value)


def test_attributes_name_the_places_and_a_bad_one_falls_back_to_none() -> None:
    config, problems = config_from_attributes(
        {"user-id-from": "localStorage:uid", "session-id-from": "vtex"}
    )
    assert problems == []
    assert str(config.user_id_from) == "localStorage:uid"
    assert str(config.session_id_from) == "vtex"
    config, problems = config_from_attributes({"user-id-from": "", "session-id-from": "foo"})
    assert config.user_id_from is None and config.session_id_from is None
    assert len(problems) == 1 and problems[0].startswith("data-session-id-from='foo' ignored")
    assert "cookie:NAME, localStorage:KEY, sessionStorage:KEY or vtex" in problems[0]
    python, _ = config_from_attributes({"session_id_from": "cookie:sid"})  # start({...})
    assert python.session_id_from == IdPlace(kind="cookie", key="sid")


# --- reading and checking -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name", "value"),
    [
        ("sid=abc", "sid", "abc"),
        ("a=1; sid=abc; b=2", "sid", "abc"),
        ("a=1;sid=abc", "sid", "abc"),
        ("xsid=1; sid=2", "sid", "2"),  # not a suffix match
        ("sid=1; sid=2", "sid", "1"),  # the first listed (the most specific path)
        ('sid="quoted"', "sid", "quoted"),
        ("sid=a=b", "sid", "a=b"),
        ("sid=", "sid", ""),
        ("SID=abc", "sid", None),  # names are case-sensitive
        ("sid", "sid", None),  # no value at all
        ("", "sid", None),
        ("a=1; b=2", "sid", None),
    ],
)
def test_cookie_value(header: str, name: str, value: str | None) -> None:
    assert cookie_value(header, name) == value


@pytest.mark.parametrize(
    ("text", "value", "why"),
    [
        ("sess-1", "sess-1", ""),
        ("ünïcode-ok", "ünïcode-ok", ""),
        ("x" * 256, "x" * 256, ""),
        (None, None, "is not set"),
        ("", None, "is empty"),
        ("   ", None, "is empty"),
        ("x" * 257, None, "holds 257 characters"),
        ("x" * 100_000, None, "holds 100000 characters"),
        ("a\x00b", None, "control character"),
        ("a\nb", None, "control character"),
        ("a\x7fb", None, "control character"),
    ],
)
def test_a_value_is_checked_like_any_host_id(text: str | None, value: str | None, why: str) -> None:
    got, reason = checked_id(text)
    assert got == value
    assert why in reason and (reason == "") is (value is not None)


@pytest.mark.parametrize(
    ("explicit", "placed", "own", "sent"),
    [
        ("host", "placed", "own", "host"),
        (None, "placed", "own", "placed"),
        (None, None, "own", "own"),
        ("host", None, "own", "host"),
    ],
)
def test_which_id_wins(explicit: str | None, placed: str | None, own: str, sent: str) -> None:
    assert choose(explicit, placed, own) == sent


def placed(text: str, places: FakePlaces, log: RecordingLog) -> PlacedId:
    return PlacedId("session_id", IdPlace.model_validate(text), text, places, log)


def test_a_place_is_read_every_time_but_checked_only_when_it_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import adtracker.ids.places as module

    checks: list[str | None] = []
    real = module.checked_id
    monkeypatch.setattr(module, "checked_id", lambda t: (checks.append(t), real(t))[1])
    places, log = FakePlaces("a=1; sid=one"), RecordingLog()
    sid = placed("cookie:sid", places, log)
    assert [sid.read() for _ in range(3)] == ["one"] * 3
    assert places.reads == 3 and checks == ["one"]
    places.cookie_header = "a=2; sid=one"  # another cookie changed: checked again, same id
    assert sid.read() == "one" and checks == ["one", "one"]
    places.cookie_header = "a=2; sid=two"
    assert sid.read() == "two"
    assert log.of("debug") == [
        "session_id read from cookie:sid: one",
        "session_id read from cookie:sid: two",
    ]


def test_an_empty_or_bad_place_falls_back_and_says_so_once() -> None:
    places, log = FakePlaces(), RecordingLog()
    sid = placed("sessionStorage:sid", places, log)
    assert sid.read() is None
    places.storage["sessionStorage", "sid"] = "x" * 100_000
    assert sid.read() is None
    places.storage["sessionStorage", "sid"] = "\x00\x01"
    assert sid.read() is None
    assert log.of("debug") == [
        "session_id: sessionStorage:sid is not set; the tracker uses its own session_id"
        " until it holds a valid id"
    ]
    places.storage["sessionStorage", "sid"] = "s-9"
    assert sid.read() == "s-9"


def test_a_place_that_throws_is_empty() -> None:
    places, log = FakePlaces("sid=1"), RecordingLog()
    places.broken = PermissionError("SecurityError: sandboxed")
    sid = placed("cookie:sid", places, log)
    assert sid.read() is None and sid.read() is None
    assert len(log.of("debug")) == 1 and "cannot be read (PermissionError" in log.of("debug")[0]
    places.broken = None
    assert sid.read() == "1"


# --- the tracker ----------------------------------------------------------------------------


def body(rig: object, index: int = -1) -> dict[str, str]:
    return json.loads(rig.transport.sent[index].body)  # type: ignore[attr-defined]


def test_the_session_id_comes_from_its_cookie_and_follows_it() -> None:
    places = FakePlaces("sid=storefront-1")
    rig = make_rig(places=places, session_id_from="cookie:sid")
    rig.tracker.start()
    anon = rig.tracker.identity.user_id  # type: ignore[union-attr]
    rig.tracker.track_click(AD1)
    assert body(rig) == {"user_id": anon, "session_id": "storefront-1"}
    places.cookie_header = "sid=storefront-2"
    rig.tracker.track_click(AD2)
    assert body(rig) == {"user_id": anon, "session_id": "storefront-2"}
    places.cookie_header = ""  # gone: the tracker's own session id again
    rig.tracker.track_click(AD1)
    own = json.loads(rig.storage.data["adtracker:ids"])["session_id"]
    assert body(rig) == {"user_id": anon, "session_id": own}


def test_a_user_id_that_changes_after_login_is_used_at_once() -> None:
    places = FakePlaces()
    rig = make_rig(places=places, user_id_from="localStorage:customer", debug=True)
    rig.tracker.start()
    rig.tracker.track_click(AD1)
    anon = body(rig)["user_id"]
    places.storage["localStorage", "customer"] = "customer-42"  # the shopper logs in
    rig.tracker.track_click(AD1)  # a new user: not deduplicated
    assert body(rig)["user_id"] == "customer-42" and anon != "customer-42"
    assert len(rig.transport.sent) == 2


def test_a_route_change_reads_the_places_again() -> None:
    places = FakePlaces("sid=a")
    rig = make_rig(places=places, session_id_from="cookie:sid")
    rig.tracker.start()
    places.cookie_header = "sid=b"
    rig.tracker.new_page_view()
    assert rig.tracker.identity.session_id == "b"  # type: ignore[union-attr]


def test_explicit_host_ids_win_and_their_places_are_not_read() -> None:
    places = FakePlaces("sid=placed")
    places.storage["localStorage", "uid"] = "placed-user"
    rig = make_rig(
        places=places,
        session_id="host-session",
        session_id_from="cookie:sid",
        user_id_from="localStorage:uid",
    )
    rig.tracker.start()
    rig.tracker.track_click(AD1)
    assert body(rig) == {"user_id": "placed-user", "session_id": "host-session"}
    rig.tracker.identify("customer-7")
    reads = places.reads
    rig.tracker.track_click(AD2)
    assert body(rig) == {"user_id": "customer-7", "session_id": "host-session"}
    assert places.reads == reads  # neither place is read any more


def test_vtex_reads_the_session_id_from_vtex_request_capture_cookie() -> None:
    places = FakePlaces(f"VtexRCSessionIdv7=browsing; {VTEX_SESSION_COOKIE}=device-mac-id")
    rig = make_rig(places=places, session_id_from="vtex", debug=True)
    rig.tracker.start()
    assert rig.tracker.identity.session_id == "device-mac-id"  # type: ignore[union-attr]
    assert "session_id read from vtex (cookie VtexRCMacIdv7): device-mac-id" in rig.log.of("debug")


def test_nothing_is_read_before_consent() -> None:
    places = FakePlaces("sid=a")
    rig = make_rig(places=places, session_id_from="cookie:sid", consent="pending")
    rig.tracker.start()
    rig.tracker.track_click(AD1)
    rig.tracker.new_page_view()
    assert places.reads == 0
    rig.tracker.consent("granted")
    assert body(rig)["session_id"] == "a"
