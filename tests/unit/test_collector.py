"""devserver.Collector over real HTTP on 127.0.0.1 (urllib / http.client only)."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devserver import Collector, Received

SPEC = Path(__file__).resolve().parents[2] / "devserver" / "vtex-ads-events.openapi.json"
SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / SPEC.name
IDS = {"user_id": "u-1", "session_id": "s-1"}
PAGE_ORIGIN = "http://127.0.0.1:8000"

NOT_OBJECT = [
    {
        "instancePath": "",
        "schemaPath": "#/type",
        "keyword": "type",
        "params": {"type": "object"},
        "message": "must be object",
    }
]


def conversion_example() -> dict[str, Any]:
    """The example order of VTEX's conversion endpoint, read from the spec (not retyped)."""
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    body = spec["paths"]["/v1/beacon/conversion"]["post"]["requestBody"]["content"]
    return body["application/json"]["example"]


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector().start()
    try:
        yield c
    finally:
        c.stop()


def request(
    url: str,
    body: Any = None,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, body); dict/list bodies are sent as JSON."""
    data = json.dumps(body).encode() if isinstance(body, dict | list) else body
    hdrs = {"content-type": "application/json", "accept": "application/json"}
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def post_json(url: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
    status, _, raw = request(url, body, **kwargs)
    return status, json.loads(raw)


# --------------------------------------------------------------------------- spec


def test_spec_is_loaded_from_the_packaged_copy(collector):
    assert sorted(r.kind for r in collector.routes) == ["click", "conversion", "impression", "view"]


@pytest.mark.skipif(not SHARED_SPEC.exists(), reason="shared/spec not present")
def test_packaged_spec_is_a_verbatim_copy():
    assert SPEC.read_bytes() == SHARED_SPEC.read_bytes()


# --------------------------------------------------------------------------- 202


@pytest.mark.parametrize("kind", ["click", "impression", "view"])
def test_valid_event_gets_202_and_is_recorded(collector, kind):
    status, body = post_json(
        collector.url(f"/v1/beacon/{kind}/ad-7?pos=1"), IDS, headers={"origin": PAGE_ORIGIN}
    )
    assert status == 202
    assert body == {"messages": [f"{kind} will be processed soon"]}
    [ev] = collector.events()
    assert isinstance(ev, Received)
    assert (ev.kind, ev.path, ev.ad_id, ev.status) == (
        kind,
        f"/v1/beacon/{kind}/ad-7?pos=1",
        "ad-7",
        202,
    )
    assert ev.errors == []
    assert ev.body_json == IDS
    assert ev.body_text == json.dumps(IDS)
    assert ev.headers["content-type"] == "application/json"
    assert ev.headers["accept"] == "application/json"
    assert ev.origin == PAGE_ORIGIN
    assert (ev.user_id, ev.session_id) == ("u-1", "s-1")
    assert abs(ev.received_at - time.time()) < 5
    assert collector.accepted() == [ev]


@pytest.mark.parametrize("ids", [{"user_id": "u"}, {"session_id": "s"}])
def test_either_id_alone_is_valid(collector, ids):
    assert post_json(collector.url("/v1/beacon/click/a"), ids)[0] == 202


def test_json_content_type_with_charset_is_accepted(collector):
    url = collector.url("/v1/beacon/click/a")
    status, _ = post_json(url, IDS, headers={"content-type": "application/json; charset=utf-8"})
    assert status == 202


def test_query_string_is_recorded_exactly(collector):
    path = "/v1/beacon/impression/4a94bc6e?pos=1&sig=ab%2Fcd%3D%3D&z=9&a=&pos=2"
    assert post_json(collector.url(path), IDS)[0] == 202
    assert collector.events()[0].path == path
    assert collector.events()[0].ad_id == "4a94bc6e"


def test_keep_alive_connection_serves_several_requests(collector):
    conn = http.client.HTTPConnection("127.0.0.1", int(collector.origin.rsplit(":", 1)[1]))
    try:
        statuses = []
        for body in (IDS, {}, IDS):
            conn.request(
                "POST",
                "/v1/beacon/click/a",
                body=json.dumps(body),
                headers={"content-type": "application/json"},
            )
            resp = conn.getresponse()
            resp.read()
            statuses.append(resp.status)
    finally:
        conn.close()
    assert statuses == [202, 422, 202]


# --------------------------------------------------------------------------- 422


def test_empty_object_gets_ajv_errors_for_both_anyof_branches(collector):
    status, errors = post_json(collector.url("/v1/beacon/click/a"), {})
    assert status == 422
    assert errors == [
        {
            "instancePath": "",
            "schemaPath": "#/anyOf/0/required",
            "keyword": "required",
            "params": {"missingProperty": "user_id"},
            "message": "must have required property 'user_id'",
        },
        {
            "instancePath": "",
            "schemaPath": "#/anyOf/1/required",
            "keyword": "required",
            "params": {"missingProperty": "session_id"},
            "message": "must have required property 'session_id'",
        },
        {
            "instancePath": "",
            "schemaPath": "#/anyOf",
            "keyword": "anyOf",
            "params": {},
            "message": "must match a schema in anyOf",
        },
    ]
    [ev] = collector.events()
    assert (ev.status, ev.errors) == (422, errors)
    assert collector.accepted() == []


def test_wrong_type_gets_type_error(collector):
    status, errors = post_json(collector.url("/v1/beacon/view/a"), {"user_id": 5})
    assert status == 422
    assert errors == [
        {
            "instancePath": "/user_id",
            "schemaPath": "#/properties/user_id/type",
            "keyword": "type",
            "params": {"type": "string"},
            "message": "must be string",
        }
    ]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"user_id=u&session_id=s", "application/x-www-form-urlencoded"),
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b'{"user_id": NaN}', "application/json"),
        (json.dumps(IDS).encode(), "text/plain;charset=UTF-8"),  # sendBeacon with a string
    ],
)
def test_non_json_body_or_content_type_is_422_must_be_object(collector, body, content_type):
    url = collector.url("/v1/beacon/click/a")
    status, errors = post_json(url, body, headers={"content-type": content_type})
    assert (status, errors) == (422, NOT_OBJECT)
    assert collector.events()[0].errors == NOT_OBJECT


def test_json_array_is_not_an_object(collector):
    """All errors are reported (like Ajv with allErrors), branch errors before the anyOf."""
    status, errors = post_json(collector.url("/v1/beacon/click/a"), [IDS])
    assert status == 422
    assert [(e["schemaPath"], e["message"]) for e in errors] == [
        ("#/type", "must be object"),
        ("#/anyOf/0/type", "must be object"),
        ("#/anyOf/1/type", "must be object"),
        ("#/anyOf", "must match a schema in anyOf"),
    ]


# --------------------------------------------------------------------------- conversion


def test_conversion_example_from_spec_is_accepted(collector):
    status, body = post_json(collector.url("/v1/beacon/conversion"), conversion_example())
    assert status == 202
    assert body == {"messages": ["conversion will be processed soon"]}
    [ev] = collector.events()
    assert (ev.kind, ev.ad_id, ev.errors) == ("conversion", None, [])


def test_conversion_missing_required_field_names_it(collector):
    order = conversion_example()
    del order["email_hashed"]
    status, errors = post_json(collector.url("/v1/beacon/conversion"), order)
    assert status == 422
    assert errors == [
        {
            "instancePath": "",
            "schemaPath": "#/required",
            "keyword": "required",
            "params": {"missingProperty": "email_hashed"},
            "message": "must have required property 'email_hashed'",
        }
    ]


def test_conversion_item_errors_point_into_items(collector):
    order = conversion_example()
    order["items"][1]["price"] = "1500"
    del order["items"][0]["sku"]
    status, errors = post_json(collector.url("/v1/beacon/conversion"), order)
    assert status == 422
    assert errors == [
        {
            "instancePath": "/items/0",
            "schemaPath": "#/properties/items/items/required",
            "keyword": "required",
            "params": {"missingProperty": "sku"},
            "message": "must have required property 'sku'",
        },
        {
            "instancePath": "/items/1/price",
            "schemaPath": "#/properties/items/items/properties/price/type",
            "keyword": "type",
            "params": {"type": "number"},
            "message": "must be number",
        },
    ]


def test_conversion_nullable_fields_accept_null(collector):
    order = conversion_example()
    order["gender"] = None
    order["items"][0]["seller_id"] = None
    assert post_json(collector.url("/v1/beacon/conversion"), order)[0] == 202


def test_conversion_enum_and_nullable_type_errors(collector):
    order = conversion_example()
    order["gender"] = "X"
    order["items"][0]["seller_id"] = 1234
    status, errors = post_json(collector.url("/v1/beacon/conversion"), order)
    assert status == 422
    assert [(e["instancePath"], e["keyword"], e["params"], e["message"]) for e in errors] == [
        (
            "/items/0/seller_id",
            "type",
            {"type": "string"},
            "must be string",
        ),
        (
            "/gender",
            "enum",
            {"allowedValues": ["F", "M", "O", None]},
            "must be equal to one of the allowed values",
        ),
    ]


def test_conversion_with_click_body_is_rejected(collector):
    status, errors = post_json(collector.url("/v1/beacon/conversion"), IDS)
    assert status == 422
    assert [e["params"]["missingProperty"] for e in errors] == [
        "channel",
        "publisher_id",
        "order_id",
        "email_hashed",
        "items",
        "created_at",
    ]


# --------------------------------------------------------------------------- 404 / 413


@pytest.mark.parametrize(
    "path", ["/v1/beacon/purchase/a", "/v1/beacon/click", "/v1/beacon/click/a/b", "/"]
)
def test_unknown_path_is_404_and_recorded_as_unknown(collector, path):
    assert post_json(collector.url(path), IDS) == (404, {"messages": ["not found"]})
    [ev] = collector.events()
    assert (ev.kind, ev.path, ev.status, ev.ad_id) == ("unknown", path, 404, None)


def test_get_of_unknown_path_is_404_and_not_an_event(collector):
    assert post_json(collector.url("/v1/beacon/click/a"), method="GET") == (
        404,
        {"messages": ["not found"]},
    )
    assert collector.events() == []


def test_body_over_64_kib_is_413(collector):
    url = collector.url("/v1/beacon/click/a")
    base = json.dumps({**IDS, "pad": ""}).encode()
    exact = json.dumps({**IDS, "pad": "x" * (64 * 1024 - len(base))}).encode()
    assert len(exact) == 64 * 1024
    assert request(url, exact)[0] == 202
    status, _, _ = request(url, exact[:-1] + b" }")
    assert status == 413
    assert [e.status for e in collector.events()] == [202, 413]


# --------------------------------------------------------------------------- CORS


def test_cors_headers_echo_origin_on_every_answer(collector):
    for path, body, expected in [
        ("/v1/beacon/click/a", IDS, 202),
        ("/v1/beacon/click/a", {}, 422),
        ("/nope", IDS, 404),
    ]:
        status, headers, _ = request(collector.url(path), body, headers={"origin": PAGE_ORIGIN})
        assert status == expected
        assert headers["access-control-allow-origin"] == PAGE_ORIGIN
        assert headers["vary"] == "Origin"


def test_cors_without_origin_is_star(collector):
    _, headers, _ = request(collector.url("/v1/beacon/click/a"), IDS)
    assert headers["access-control-allow-origin"] == "*"


def test_preflight_is_204_and_recorded_separately(collector):
    status, headers, body = request(
        collector.url("/v1/beacon/click/a?pos=1"),
        method="OPTIONS",
        headers={
            "origin": PAGE_ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "accept, content-type",
        },
    )
    assert (status, body) == (204, b"")
    assert headers["access-control-allow-origin"] == PAGE_ORIGIN
    assert headers["access-control-allow-methods"] == "POST, GET, OPTIONS"
    assert headers["access-control-allow-headers"] == "accept, content-type"
    assert headers["access-control-max-age"] == "600"
    assert headers["vary"] == "Origin"
    assert collector.events() == []
    [pre] = collector.preflights()
    assert (pre.path, pre.origin, pre.request_method) == (
        "/v1/beacon/click/a?pos=1",
        PAGE_ORIGIN,
        "POST",
    )


def test_preflight_without_requested_headers_allows_json_headers(collector):
    _, headers, _ = request(collector.url("/anything"), method="OPTIONS")
    assert headers["access-control-allow-headers"] == "content-type, accept"
    assert headers["access-control-allow-origin"] == "*"
    assert len(collector.preflights()) == 1


# --------------------------------------------------------------------------- faults


def test_fault_503_twice_then_202(collector):
    collector.add_fault("/v1/beacon/click/a", 503, times=2)
    url = collector.url("/v1/beacon/click/a?pos=1")
    results = [post_json(url, IDS) for _ in range(3)]
    assert results == [
        (503, {"messages": ["service unavailable"]}),
        (503, {"messages": ["service unavailable"]}),
        (202, {"messages": ["click will be processed soon"]}),
    ]
    assert [e.status for e in collector.events()] == [503, 503, 202]
    assert [e.status for e in collector.accepted()] == [202]


def test_fault_applies_before_validation_and_keeps_body_errors(collector):
    collector.add_fault("click", 500)
    assert post_json(collector.url("/v1/beacon/click/a"), {})[0] == 500
    [ev] = collector.events()
    assert ev.status == 500
    assert [e["keyword"] for e in ev.errors] == ["required", "required", "anyOf"]


def test_fault_matches_query_string(collector):
    collector.add_fault("pos=2", 500)
    assert post_json(collector.url("/v1/beacon/click/a?pos=1"), IDS)[0] == 202
    assert post_json(collector.url("/v1/beacon/click/a?pos=2"), IDS)[0] == 500
    assert post_json(collector.url("/v1/beacon/click/a?pos=2"), IDS)[0] == 202


def test_fault_custom_body_and_headers(collector):
    collector.add_fault(
        "/click/", 429, body="slow down", headers={"Retry-After": "3", "X-Test": "yes"}
    )
    status, headers, body = request(
        collector.url("/v1/beacon/click/a"), IDS, headers={"origin": PAGE_ORIGIN}
    )
    assert (status, body) == (429, b"slow down")
    assert headers["retry-after"] == "3"
    assert headers["x-test"] == "yes"
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["access-control-allow-origin"] == PAGE_ORIGIN


def test_fault_json_body_and_overridden_content_type(collector):
    errors = [{"instancePath": "", "keyword": "required"}]
    collector.add_fault(
        "/click/", 422, body=json.dumps(errors), headers={"content-type": "application/json"}
    )
    status, headers, body = request(collector.url("/v1/beacon/click/a"), IDS)
    assert (status, json.loads(body)) == (422, errors)
    assert headers["content-type"] == "application/json"


def test_status_0_closes_connection_without_response(collector):
    collector.add_fault("/click/", 0)
    url = collector.url("/v1/beacon/click/a")
    with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError)):
        request(url, IDS)
    assert post_json(url, IDS)[0] == 202
    assert [e.status for e in collector.events()] == [0, 202]


def test_fault_delay(collector):
    collector.add_fault("/click/", 202, delay=0.5)
    url = collector.url("/v1/beacon/click/a")
    started = time.monotonic()
    status, body = post_json(url, IDS)
    elapsed = time.monotonic() - started
    assert (status, body) == (202, {"messages": ["click will be processed soon"]})
    assert 0.45 <= elapsed < 3
    started = time.monotonic()
    assert post_json(url, IDS)[0] == 202
    assert time.monotonic() - started < 0.4


def test_fault_over_http(collector):
    status, body = post_json(
        collector.url("/_faults"),
        {"match": "/impression/", "status": 500, "times": 1, "headers": {"X-Fault": "1"}},
    )
    assert (status, body) == (200, {"messages": ["fault added"]})
    status, headers, _ = request(collector.url("/v1/beacon/impression/a"), IDS)
    assert (status, headers["x-fault"]) == (500, "1")
    assert request(collector.url("/v1/beacon/impression/a"), IDS)[0] == 202
    assert [e.path for e in collector.events()] == ["/v1/beacon/impression/a"] * 2


@pytest.mark.parametrize("spec", [{"status": 500}, {"match": "x", "status": "abc"}, [1]])
def test_invalid_fault_over_http_is_400(collector, spec):
    assert request(collector.url("/_faults"), spec)[0] == 400


def test_add_fault_rejects_bad_arguments(collector):
    with pytest.raises(ValueError):
        collector.add_fault("x", 42)
    with pytest.raises(ValueError):
        collector.add_fault("x", 500, times=0)


# --------------------------------------------------------------------------- inspection


def test_events_endpoint_and_reset(collector):
    post_json(collector.url("/v1/beacon/click/a?pos=1"), IDS)
    post_json(collector.url("/v1/beacon/view/b"), {"session_id": "s-2"})
    status, headers, raw = request(
        collector.url("/_events"), method="GET", headers={"origin": PAGE_ORIGIN}
    )
    assert status == 200
    assert headers["access-control-allow-origin"] == PAGE_ORIGIN
    listed = json.loads(raw)
    assert [(e["kind"], e["path"], e["status"], e["errors"]) for e in listed] == [
        ("click", "/v1/beacon/click/a?pos=1", 202, []),
        ("view", "/v1/beacon/view/b", 202, []),
    ]
    assert (listed[0]["user_id"], listed[0]["session_id"]) == ("u-1", "s-1")
    assert "user_id" not in listed[1]
    assert listed[1]["session_id"] == "s-2"
    assert listed[0]["body_json"] == IDS
    assert isinstance(listed[0]["received_at"], float)

    collector.add_fault("/click/", 500)
    assert post_json(collector.url("/_reset"), {}) == (200, {"messages": ["reset"]})
    assert collector.events() == []
    assert json.loads(request(collector.url("/_events"), method="GET")[2]) == []
    assert post_json(collector.url("/v1/beacon/click/a"), IDS)[0] == 202  # fault was cleared


def test_clear_forgets_events_and_preflights(collector):
    post_json(collector.url("/v1/beacon/click/a"), IDS)
    request(collector.url("/v1/beacon/click/a"), method="OPTIONS")
    collector.clear()
    assert (collector.events(), collector.preflights()) == ([], [])


# --------------------------------------------------------------------------- wait_for


def test_wait_for_returns_at_timeout_without_raising(collector):
    started = time.monotonic()
    assert collector.wait_for(1, timeout=0.2) == []
    assert time.monotonic() - started < 1.5


def test_wait_for_sees_events_from_other_threads(collector):
    post_json(collector.url("/v1/beacon/click/a"), {})  # 422: not counted when accepted_only
    timer = threading.Timer(0.2, post_json, (collector.url("/v1/beacon/click/b"), IDS))
    timer.start()
    try:
        got = collector.wait_for(1, timeout=5)
    finally:
        timer.join()
    assert [e.ad_id for e in got] == ["b"]
    assert [e.ad_id for e in collector.wait_for(2, timeout=1, accepted_only=False)] == ["a", "b"]


# --------------------------------------------------------------------------- logging


def test_quiet_by_default_and_one_line_per_event_when_verbose(capsys):
    with Collector() as quiet:
        post_json(quiet.url("/v1/beacon/click/a"), IDS)
        request(quiet.url("/v1/beacon/click/a"), method="OPTIONS")
    assert capsys.readouterr().err == ""
    with Collector(verbose=True) as loud:
        post_json(loud.url("/v1/beacon/click/a?pos=1"), IDS)
        request(loud.url("/v1/beacon/click/a"), method="OPTIONS")
        request(loud.url("/_events"), method="GET")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert re.fullmatch(r"\d\d:\d\d:\d\d click 202 /v1/beacon/click/a\?pos=1", lines[0])


def test_binds_to_loopback_and_origin_requires_start():
    c = Collector()
    with pytest.raises(RuntimeError):
        _ = c.origin
    with c:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", c.origin)
        assert c.url("/x") == c.origin + "/x"
