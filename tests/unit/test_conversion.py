import hashlib
import json

import pytest

from adtracker.events.conversion import (
    ConversionBody,
    build_conversion,
    hash_order,
    hash_personal_data,
    iso_utc,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_social_id,
)

NOW = 1_800_000_000.0
ITEM = {"sku": "s1", "quantity": 2, "price": 10.5, "promotional_price": 9.9}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("fn", "raw", "normal"),
    [
        (normalize_email, "  Foo@Example.COM ", "foo@example.com"),
        (normalize_phone, "(11) 98765-4321", "+5511987654321"),
        (normalize_phone, "11 3333-4444", "+551133334444"),
        (normalize_phone, "+1 (415) 555-2671", "+14155552671"),
        (normalize_phone, "0044 20 7946 0958", "+442079460958"),
        (normalize_social_id, "123.456.789-09", "12345678909"),
        (normalize_social_id, "12.345.678/0001-95", "12345678000195"),
        (normalize_name, "  Ana   Maria ", "Ana Maria"),
        (normalize_name, "José\tda  Silva", "José da Silva"),
    ],
)
def test_normalisation(fn, raw: str, normal: str) -> None:
    assert fn(raw) == normal


def build(order: dict, **kw):
    args = {
        "user_id": "u",
        "session_id": "s",
        "now": NOW,
        "publisher_id": "pub",
        "channel": "ecommerce",
    }
    args.update(kw)
    hashed = hash_order(order)
    return hashed if isinstance(hashed, str) else build_conversion(hashed, **args)


def test_known_digests_and_no_raw_values() -> None:
    order = {
        "order_id": "o-1",
        "email": "  Foo@Example.COM ",
        "phone": "(11) 98765-4321",
        "social_id": "123.456.789-09",
        "first_name": " Ana  Maria ",
        "last_name": "Silva",
        "items": [ITEM],
    }
    body = build(order)
    assert isinstance(body, ConversionBody)
    sent = json.loads(body.model_dump_json(exclude_none=True))
    assert sent["email_hashed"] == sha("foo@example.com")
    assert (
        sent["email_hashed"] == "321ba197033e81286fedb719d60d4ed5cecaed170733cb4a92013811afc0e3b6"
    )
    assert sent["phone_hashed"] == sha("+5511987654321")
    assert sent["social_id_hashed"] == sha("12345678909")
    assert sent["first_name_hashed"] == sha("Ana Maria")
    assert sent["last_name_hashed"] == sha("Silva")
    text = body.model_dump_json()
    for raw in ("Foo@Example", "foo@example.com", "98765", "123.456", "Ana", "Silva"):
        assert raw not in text
    assert not {"email", "phone", "social_id", "first_name", "last_name"} & set(sent)
    assert sent["items"] == [ITEM]  # per-unit prices pass unchanged
    assert sent["created_at"] == iso_utc(NOW) == "2027-01-15T08:00:00.000Z"
    assert (sent["user_id"], sent["session_id"], sent["publisher_id"], sent["channel"]) == (
        "u",
        "s",
        "pub",
        "ecommerce",
    )


def test_already_hashed_fields_pass_through() -> None:
    digest = sha("x@y.z").upper()
    body = build({"order_id": "o", "email_hashed": digest, "items": [ITEM]})
    assert isinstance(body, ConversionBody) and body.email_hashed == digest.lower()


def test_host_values_override_defaults() -> None:
    body = build(
        {
            "order_id": "o",
            "email": "a@b.c",
            "items": [ITEM],
            "user_id": "customer-1",
            "created_at": "2026-01-01T09:20:00-03:00",
            "channel": "app",
        }
    )
    assert isinstance(body, ConversionBody)
    assert body.user_id == "customer-1" and body.channel == "app"
    assert body.created_at == "2026-01-01T12:20:00.000Z"


@pytest.mark.parametrize(
    ("order", "needle"),
    [
        ({"email": "a@b.c", "items": [ITEM]}, "order_id"),
        ({"order_id": "o", "items": [ITEM]}, "email_hashed"),
        ({"order_id": "o", "email": "a@b.c", "items": []}, "items"),
        ({"order_id": "o", "email": "a@b.c"}, "items"),
        ({"order_id": "o", "email": "a@b.c", "items": [{"sku": "s"}]}, "items.0.quantity"),
        ({"order_id": "o", "email": "a@b.c", "items": [{**ITEM, "price": "ten"}]}, "items.0.price"),
        ({"order_id": "o", "email": "   ", "items": [ITEM]}, "email must be non-empty"),
        (
            {"order_id": "o", "email": "a@b.c", "items": [ITEM], "created_at": "yesterday"},
            "created_at",
        ),
        (
            {
                "order_id": "o",
                "email": "a@b.c",
                "items": [ITEM],
                "created_at": "2026-01-01T00:00:00",
            },
            "time zone",
        ),
        ({"order_id": "o", "email": "a@b.c", "items": [ITEM], "gender": "X"}, "gender"),
        ({"order_id": "o", "email": "a@b.c", "items": [ITEM], "bogus": 1}, "bogus"),
        ({"order_id": "o", "email_hashed": "abc", "items": [ITEM]}, "email_hashed"),
    ],
)
def test_invalid_orders_name_the_field(order: dict, needle: str) -> None:
    message = build(order)
    assert isinstance(message, str) and needle in message


def test_errors_never_echo_personal_data() -> None:
    message = build({"order_id": 5, "email": "secret@example.com", "phone": "+55 11 99999-0000"})
    assert isinstance(message, str)
    assert "secret" not in message and "99999" not in message


def test_publisher_id_is_required() -> None:
    message = build({"order_id": "o", "email": "a@b.c", "items": [ITEM]}, publisher_id=None)
    assert isinstance(message, str) and "publisher_id" in message


def test_hash_personal_data_leaves_other_fields() -> None:
    out = hash_personal_data({"email": "A@B.C", "order_id": "o"})
    assert out == {"order_id": "o", "email_hashed": sha("a@b.c")}


@pytest.mark.parametrize("order", ["o-1", ["x"], None, 5])
def test_hash_order_refuses_what_is_not_an_order(order: object) -> None:
    message = hash_order(order)
    assert isinstance(message, str) and message.startswith("an order is an object")


def test_an_unhashed_order_can_never_become_a_body() -> None:
    # build_conversion takes hashed orders; raw personal fields are refused, not sent
    raw = {"order_id": "o", "email": "a@b.c", "email_hashed": sha("a@b.c"), "items": [ITEM]}
    message = build_conversion(
        raw, user_id="u", session_id="s", now=NOW, publisher_id="pub", channel="ecommerce"
    )
    assert isinstance(message, str) and "email" in message and "a@b.c" not in message
