import json

import pytest

from tracker.ports import SendResult
from tracker.responses import MAX_PARSED_BODY, classify, describe_422

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
    ("result", "verdict", "transient"),
    [
        (SendResult(202, '{"messages": ["click will be processed soon"]}'), "delivered", False),
        (SendResult(202, ""), "delivered", False),  # one guide says 202 has no body
        (SendResult(200, "not json"), "delivered", False),
        (SendResult(204), "delivered", False),
        (SendResult(422, AJV_422), "rejected", False),
        (SendResult(400), "rejected", False),
        (SendResult(404), "rejected", False),
        (SendResult(408), "failed", True),
        (SendResult(429), "failed", True),
        (SendResult(500), "failed", True),
        (SendResult(503), "failed", True),
        (SendResult(None, error="TypeError: Failed to fetch"), "failed", True),
    ],
)
def test_classify(result: SendResult, verdict: str, transient: bool) -> None:
    c = classify(result)
    assert (c.verdict, c.transient) == (verdict, transient)


def test_422_names_the_missing_property() -> None:
    assert "missing property 'user_id'" in describe_422(AJV_422)
    assert "missing property 'user_id'" in classify(SendResult(422, AJV_422)).reason


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
        ("[" + "1," * MAX_PARSED_BODY + "1]", "not parsed"),
    ],
)
def test_422_with_odd_bodies(body: str, needle: str) -> None:
    assert needle in describe_422(body)
