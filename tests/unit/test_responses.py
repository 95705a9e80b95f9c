import json

import pytest

from adtracker.base.limits import MAX_RESPONSE_CHARS
from adtracker.base.ports import SendResult
from adtracker.delivery.responses import describe_422, status_behavior

AJV_422 = json.dumps(
    [
        {
            "instancePath": "",
            "schemaPath": "#/anyOf/0/required",
            "keyword": "required",
            "params": {"missingProperty": "user_id"},
            "message": "must have required property 'user_id'",
        },
        {
            "instancePath": "",
            "schemaPath": "#/anyOf",
            "keyword": "anyOf",
            "params": {},
            "message": "must match a schema in anyOf",
        },
    ]
)


@pytest.mark.parametrize(
    ("result", "verdict", "retry", "reached"),
    [
        (SendResult(202, '{"messages": ["click will be processed soon"]}'), "delivered", 0, 1),
        (SendResult(202, ""), "delivered", 0, 1),  # one guide says 202 has no body
        (SendResult(200, "not json"), "delivered", 0, 1),
        (SendResult(204), "delivered", 0, 1),
        (SendResult(422, AJV_422), "rejected", 0, 1),
        (SendResult(422), "rejected", 0, 1),
        (SendResult(400), "rejected", 0, 1),
        (SendResult(404), "rejected", 0, 1),
        (SendResult(0, redirected=True), "rejected", 0, 1),
        (SendResult(302, redirected=True), "rejected", 0, 1),
        (SendResult(408), "failed", 1, 0),  # 408, 429 and 503 say "not processed"
        (SendResult(429), "failed", 1, 0),
        (SendResult(503), "failed", 1, 0),
        (SendResult(500), "failed", 1, 1),
        (SendResult(502), "failed", 1, 1),
        (SendResult(504), "failed", 1, 1),
        (SendResult(None, error="TypeError: Failed to fetch"), "failed", 1, 1),
        (SendResult(None, error="Failed to fetch"), "failed", 1, 1),
        (SendResult(None, timed_out=True), "failed", 1, 1),
    ],
)
def test_status_behavior(result: SendResult, verdict: str, retry: int, reached: int) -> None:
    behavior = status_behavior(result)
    assert (behavior.verdict, behavior.retry, behavior.may_have_reached) == (
        verdict,
        bool(retry),
        bool(reached),
    )


@pytest.mark.parametrize(
    ("result", "needle"),
    [
        (SendResult(None, timed_out=True), "timed out"),
        (SendResult(None, error="TypeError: Failed to fetch"), "network error: TypeError"),
        (SendResult(None), "network error: no response"),
        (SendResult(0, redirected=True), "redirect"),
        (SendResult(503), "HTTP 503"),
    ],
)
def test_status_behavior_says_why(result: SendResult, needle: str) -> None:
    assert needle in status_behavior(result).reason


def test_422_names_the_missing_property() -> None:
    assert "missing property 'user_id'" in describe_422(AJV_422)
    assert "missing property 'user_id'" in status_behavior(SendResult(422, AJV_422)).reason


def test_422_with_nested_path() -> None:
    body = json.dumps(
        [{"instancePath": "/items/0", "keyword": "required", "params": {"missingProperty": "sku"}}]
    )
    assert describe_422(body) == "missing property 'sku' in /items/0"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("<html>bad gateway</html>", "not an Ajv error list"),
        ('{"error": "x"}', "not an Ajv error list"),
        ("[]", "empty error list"),
        ("[" + "1," * MAX_RESPONSE_CHARS + "1]", "not parsed"),
    ],
)
def test_422_with_odd_bodies(body: str, needle: str) -> None:
    assert needle in describe_422(body)
