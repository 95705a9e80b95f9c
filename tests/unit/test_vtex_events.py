"""vtex:orderPlaced → conversion order, vtex:userData → user id, and the handler."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adtracker.base.vocabulary import Outcome
from adtracker.vtex.handler import VtexEvents
from adtracker.vtex.storefront import (
    EVENT_NAMES,
    MappedOrder,
    UserData,
    created_at,
    order_from_message,
    user_id_to_apply,
)
from tests.unit.fakes import ORIGIN, FakePlaces, make_rig

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "tests" / "data" / "vtex-order-placed.json").read_text())
CONVERSION_URL = ORIGIN + "/v1/beacon/conversion"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def message(**changes: Any) -> dict[str, Any]:
    """The realistic sample with top-level changes (a value of ... deletes the field)."""
    out = copy.deepcopy(SAMPLE)
    for key, value in changes.items():
        if value is ...:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def mapped(msg: dict[str, Any]) -> MappedOrder:
    result = order_from_message(msg)
    assert isinstance(result, MappedOrder), result
    return result


# --- the mapping table ----------------------------------------------------------------------


def test_realistic_order_maps_as_vtex_ads_app_does() -> None:
    result = mapped(message())
    assert result.order == {
        "order_id": "1310750551387-01",
        "items": [
            {
                "sku": "1",
                "quantity": 2,
                "price": 1600.99,
                "promotional_price": 1500.99,
                "product_id": "1",
                "seller_id": "1",
            },
            {
                "sku": "57",
                "quantity": 1,
                "price": 99.99,
                "promotional_price": 99.99,  # no sellingPrice: the price
                "product_id": "22",
                "seller_id": "seller-9",
            },
        ],
        "email": " Ana.Silva@Example.COM ",  # raw here; hashed by the conversion path
        "phone": "+5511987654321",
        "created_at": "2023-02-14T18:56:47.001Z",
    }
    assert result.notes == ()


@pytest.mark.parametrize(
    ("changes", "order_id"),
    [
        ({}, "1310750551387-01"),
        ({"ordersInOrderGroup": []}, "1310750551387"),
        ({"ordersInOrderGroup": ...}, "1310750551387"),
        ({"ordersInOrderGroup": [""]}, "1310750551387"),
        ({"ordersInOrderGroup": [None, "x-02"]}, "1310750551387"),  # [0] only, as VTEX's app
        ({"ordersInOrderGroup": ..., "orderGroup": ""}, "1310750551387"),  # transactionId
        ({"ordersInOrderGroup": ..., "orderGroup": ..., "transactionId": "t-9"}, "t-9"),
        ({"ordersInOrderGroup": [1310750551387]}, "1310750551387"),  # a number: its text
        ({"orderGroup": " og-1 ", "ordersInOrderGroup": ...}, "og-1"),
    ],
)
def test_order_id_rule(changes: dict[str, Any], order_id: str) -> None:
    assert mapped(message(**changes)).order["order_id"] == order_id


def product(**fields: Any) -> dict[str, Any]:
    return {"sku": "7", "quantity": 1, "price": 10.0, **fields}


@pytest.mark.parametrize(
    ("fields", "item"),
    [
        (
            {},
            {"sku": "7", "quantity": 1, "price": 10.0, "promotional_price": 10.0},
        ),
        (
            {"sellingPrice": 8.5},
            {"sku": "7", "quantity": 1, "price": 10.0, "promotional_price": 8.5},
        ),
        (  # a free gift: 0 is a price, not "missing"
            {"sellingPrice": 0},
            {"sku": "7", "quantity": 1, "price": 10.0, "promotional_price": 0},
        ),
        (
            {"id": "p-1", "sellerId": "s-1"},
            {
                "sku": "7",
                "quantity": 1,
                "price": 10.0,
                "promotional_price": 10.0,
                "product_id": "p-1",
                "seller_id": "s-1",
            },
        ),
        (  # empty ids are absent
            {"id": "", "sellerId": ""},
            {"sku": "7", "quantity": 1, "price": 10.0, "promotional_price": 10.0},
        ),
        (  # numbers for ids, as some stores send
            {"sku": 7, "id": 3},
            {
                "sku": "7",
                "quantity": 1,
                "price": 10.0,
                "promotional_price": 10.0,
                "product_id": "3",
            },
        ),
        (  # currency units, per unit: never multiplied by quantity, never divided
            {"quantity": 3, "price": 1600.99, "sellingPrice": 1500.99},
            {"sku": "7", "quantity": 3, "price": 1600.99, "promotional_price": 1500.99},
        ),
    ],
)
def test_item_mapping(fields: dict[str, Any], item: dict[str, Any]) -> None:
    order = mapped(message(transactionProducts=[product(**fields)])).order
    assert order["items"] == [item]


@pytest.mark.parametrize(
    ("phone", "expected", "noted"),
    [
        ("+5511987654321", "+5511987654321", False),
        ("(11) 98765-4321", "(11) 98765-4321", False),
        (..., None, False),
        ("", None, False),
        (None, None, False),
        ("n/a", None, True),
        (42, None, True),
    ],
)
def test_phone_only_when_it_is_a_phone(phone: Any, expected: str | None, noted: bool) -> None:
    result = mapped(message(visitorContactPhone=phone))
    assert result.order.get("phone") == expected
    assert any("visitorContactPhone" in n for n in result.notes) is noted


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-02-14T18:56:47.0019167Z", "2023-02-14T18:56:47.001Z"),  # VTEX's seven digits
        ("2023-02-14T18:56:47.9999999Z", "2023-02-14T18:56:47.999Z"),  # cut, never rounded up
        ("2023-02-14T18:56:47.123456789Z", "2023-02-14T18:56:47.123Z"),
        ("2023-02-14T18:56:47Z", "2023-02-14T18:56:47.000Z"),
        ("2023-02-14T18:56:47.5Z", "2023-02-14T18:56:47.500Z"),
        ("2023-02-14T18:56:47.0019167+00:00", "2023-02-14T18:56:47.001Z"),
        ("2023-02-14T15:56:47.0019167-03:00", "2023-02-14T18:56:47.001Z"),
        ("2023-02-14T15:56:47-0300", "2023-02-14T18:56:47.000Z"),
        ("2023-02-14T18:56:47.0019167", "2023-02-14T18:56:47.001Z"),  # no zone: UTC
        ("2023-02-14 18:56:47.0019167Z", "2023-02-14T18:56:47.001Z"),
        (" 2023-02-14T18:56:47.0019167z ", "2023-02-14T18:56:47.001Z"),
        ("2023-13-14T18:56:47Z", None),
        ("yesterday", None),
        ("", None),
        (None, None),
        (1676400000, None),
    ],
)
def test_transaction_date(raw: Any, expected: str | None) -> None:
    assert created_at(raw) == expected


@given(
    moment=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ),
    extra_digits=st.text(alphabet="0123456789", min_size=0, max_size=6),
)
def test_any_number_of_fractional_digits_is_parsed_never_refused(
    moment: datetime, extra_digits: str
) -> None:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + extra_digits + "Z"
    assert created_at(text) == moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_a_bad_transaction_date_never_refuses_the_order() -> None:
    result = mapped(message(transactionDate="14/02/2023"))
    assert "created_at" not in result.order
    assert any("transactionDate" in n for n in result.notes)


@pytest.mark.parametrize(
    ("msg", "named"),
    [
        (message(transactionProducts=...), "transactionProducts: Field required"),
        (message(transactionProducts=[]), "transactionProducts: List should have at least 1"),
        (message(transactionProducts="chair"), "transactionProducts: Input should be a valid list"),
        (message(transactionProducts=["chair"]), "transactionProducts[0]: Input should be"),
        (message(transactionProducts=[{"quantity": 1, "price": 1}]), "transactionProducts[0].sku"),
        (message(transactionProducts=[product(quantity=0)]), "transactionProducts[0].quantity"),
        (message(transactionProducts=[product(quantity="two")]), "transactionProducts[0].quantity"),
        (message(transactionProducts=[product(price=-1)]), "transactionProducts[0].price"),
        (message(transactionProducts=[product(price=None)]), "transactionProducts[0].price"),
        (message(transactionProducts=[product(sku=True)]), "transactionProducts[0].sku"),
        (message(transactionProducts=[product(sellingPrice="free")]), "sellingPrice"),
        (message(visitorContactInfo=...), "visitorContactInfo: Field required"),
        (message(visitorContactInfo=[]), "visitorContactInfo: List should have at least 1"),
        (message(visitorContactInfo="a@b.c"), "visitorContactInfo: Input should be a valid list"),
        (message(visitorContactInfo=["  "]), "visitorContactInfo: its first entry (the e-mail)"),
        (message(visitorContactInfo=[None, "Ana"]), "visitorContactInfo: its first entry"),
        (
            message(ordersInOrderGroup=..., orderGroup=..., transactionId=...),
            "ordersInOrderGroup, orderGroup, transactionId: no order id",
        ),
        (message(orderGroup={"id": 1}), "orderGroup: Input should be a valid string"),
    ],
)
def test_bad_orders_name_vtex_field(msg: dict[str, Any], named: str) -> None:
    result = order_from_message(msg)
    assert isinstance(result, str), result
    assert named in result, result
    assert "Ana" not in result and "@" not in result  # personal data never echoed


# --- userData -------------------------------------------------------------------------------

LOGGED_IN = {"eventName": "vtex:userData", "isAuthenticated": True, "id": "vtex-profile-1"}


@pytest.mark.parametrize(
    ("msg", "current", "applied", "expected"),
    [
        (LOGGED_IN, None, None, "vtex-profile-1"),  # replaces the anonymous id
        (LOGGED_IN, "vtex-profile-0", "vtex-profile-0", "vtex-profile-1"),  # an earlier userData
        (LOGGED_IN, "customer-42", None, None),  # the host's data-user-id wins
        (LOGGED_IN, "customer-42", "vtex-profile-0", None),  # identify() after userData wins
        (LOGGED_IN, "vtex-profile-1", "vtex-profile-1", None),  # nothing new
        ({**LOGGED_IN, "isAuthenticated": False}, None, None, None),
        ({"eventName": "vtex:userData", "isAuthenticated": True}, None, None, None),
        ({**LOGGED_IN, "id": ""}, None, None, None),
        ({**LOGGED_IN, "id": 77}, None, None, "77"),
    ],
)
def test_user_data_rule(
    msg: dict[str, Any], current: str | None, applied: str | None, expected: str | None
) -> None:
    user_id, why = user_id_to_apply(UserData.model_validate(msg), current, applied)
    assert user_id == expected
    assert (why == "") is (expected is not None)


def test_user_data_is_not_used_when_the_store_named_another_place() -> None:
    user_id, why = user_id_to_apply(UserData.model_validate(LOGGED_IN), None, None, "cookie:uid")
    assert user_id is None and "data-user-id-from names where user_id lives (cookie:uid)" in why
    # an id the host set still wins first, whatever the place
    user_id, why = user_id_to_apply(UserData.model_validate(LOGGED_IN), "c-1", None, "cookie:uid")
    assert user_id is None and "host set user_id" in why


def test_with_only_user_id_from_vtex_orders_are_ignored_and_user_data_identifies() -> None:
    rig = make_rig(publisher_id="pub-1", user_id_from="vtex", session_id="s-1")
    rig.tracker.start()
    vtex = VtexEvents(rig.tracker, orders=False)
    assert vtex.handle(message()) == "ignored"
    assert vtex.handle(LOGGED_IN) == "identified"
    rig.scheduler.run()
    assert rig.transport.sent == []
    assert [(d.type, d.outcome) for d in rig.decisions] == [("vtex:userData", "identified")]
    assert rig.tracker.identity is not None and rig.tracker.identity.user_id == "vtex-profile-1"


def test_user_data_leaves_a_user_id_read_from_another_place() -> None:
    places = FakePlaces("uid=customer-9")
    rig = make_rig(places=places, vtex_events=True, user_id_from="cookie:uid")
    rig.tracker.start()
    assert VtexEvents(rig.tracker).handle(LOGGED_IN) == "ignored"
    assert rig.tracker.identity is not None and rig.tracker.identity.user_id == "customer-9"


# --- the handler on the real Tracker --------------------------------------------------------


def vtex_rig(**config: Any) -> tuple[Any, VtexEvents]:
    rig = make_rig(publisher_id="pub-1", **config)
    rig.tracker.start()
    return rig, VtexEvents(rig.tracker)


def test_order_placed_tracked_is_the_same_order() -> None:
    rig, vtex = vtex_rig(debug=True)
    tracked = message(event="orderPlacedTracked", eventName="vtex:orderPlacedTracked")
    assert mapped(tracked) == mapped(message())
    assert vtex.handle(tracked) == "sent"
    assert vtex.handle(message()) == "deduplicated"  # whichever comes second
    rig.scheduler.run()
    assert len(rig.transport.sent) == 1
    assert any(m.startswith("vtex:orderPlacedTracked → conversion") for m in rig.log.of("debug"))


def test_order_placed_becomes_one_hashed_conversion_and_a_repeat_sends_nothing() -> None:
    rig, vtex = vtex_rig(user_id="customer-42", session_id="s-1", debug=True)
    assert vtex.handle(message()) == "sent"
    rig.scheduler.run()
    assert len(rig.transport.sent) == 1
    sent = rig.transport.sent[0]
    assert sent.url == CONVERSION_URL
    body = json.loads(sent.body)
    assert body == {
        "channel": "ecommerce",
        "publisher_id": "pub-1",
        "user_id": "customer-42",
        "session_id": "s-1",
        "order_id": "1310750551387-01",
        "email_hashed": sha("ana.silva@example.com"),
        "phone_hashed": sha("+5511987654321"),
        "items": mapped(message()).order["items"],
        "created_at": "2023-02-14T18:56:47.001Z",
    }
    assert "Ana" not in sent.body and "98765" not in sent.body
    # A second pixel firing, or the page reloaded (same storage): nothing more.
    assert vtex.handle(message()) == "deduplicated"
    assert VtexEvents(rig.tracker).handle(message(transactionId="other")) == ("deduplicated")
    rig.scheduler.run()
    assert len(rig.transport.sent) == 1
    assert any(
        "vtex:orderPlaced → conversion for order 1310750551387-01" in m for m in rig.log.of("debug")
    )


def test_bad_order_one_console_error_naming_the_field_nothing_sent() -> None:
    rig, vtex = vtex_rig()
    assert vtex.handle(message(transactionProducts=[product(sku="")])) == "refused"
    rig.scheduler.run()
    assert rig.transport.sent == []
    errors = rig.log.of("error")
    assert len(errors) == 1 and "transactionProducts[0].sku" in errors[0], errors
    assert [(d.type, d.outcome) for d in rig.decisions] == [("conversion", "refused")]


def test_missing_publisher_id_is_the_conversion_paths_own_error() -> None:
    rig = make_rig()
    rig.tracker.start()
    assert VtexEvents(rig.tracker).handle(message()) == "refused"
    assert rig.transport.sent == []
    assert len(rig.log.of("error")) == 1 and "publisher_id" in rig.log.of("error")[0]


@pytest.mark.parametrize(
    "data",
    [
        "vtex:orderPlaced",
        ["vtex:orderPlaced"],
        42,
        None,
        {"eventName": "vtex:pageView"},
        {"eventName": "vtex:addToCart", "items": []},
        {"name": "AnalyticsEvent", "params": {"name": "store:purchase"}},
    ],
)
def test_other_messages_are_ignored_silently(data: object) -> None:
    rig, vtex = vtex_rig(debug=True)
    assert vtex.handle(data) == "ignored"
    rig.scheduler.run()
    assert rig.transport.sent == [] and rig.log.lines == [] and rig.decisions == []


def test_user_data_identifies_the_shopper_unless_the_host_set_an_id() -> None:
    rig, vtex = vtex_rig(session_id="s-1")
    assert vtex.handle(LOGGED_IN) == "identified"
    assert rig.tracker.identity is not None and rig.tracker.identity.user_id == "vtex-profile-1"
    rig.tracker.track_click(ORIGIN + "/v1/beacon/click/a?pos=1")
    assert json.loads(rig.transport.sent[-1].body)["user_id"] == "vtex-profile-1"
    assert vtex.handle({**LOGGED_IN, "id": "vtex-profile-2"}) == "identified"
    rig.tracker.identify("customer-7")  # the host identifies: it wins from now on
    assert vtex.handle({**LOGGED_IN, "id": "vtex-profile-3"}) == "ignored"
    assert rig.tracker.identity.user_id == "customer-7"
    rig.scheduler.run()
    outcomes = [(d.type, d.outcome) for d in rig.decisions if d.type == "vtex:userData"]
    assert outcomes == [
        ("vtex:userData", "identified"),
        ("vtex:userData", "identified"),
        ("vtex:userData", "ignored"),
    ]

    host, host_vtex = vtex_rig(user_id="customer-42")
    assert host_vtex.handle(LOGGED_IN) == "ignored"
    assert host.tracker.identity is not None and host.tracker.identity.user_id == "customer-42"
    host.scheduler.run()
    assert "wins" in host.decisions[-1].reason


@pytest.mark.parametrize(
    ("msg", "named"),
    [
        ({**LOGGED_IN, "isAuthenticated": "yes"}, "isAuthenticated: Input should be a valid"),
        ({**LOGGED_IN, "id": ["x"]}, "id: Input should be a valid string"),
    ],
)
def test_malformed_user_data_is_one_clear_error(msg: dict[str, Any], named: str) -> None:
    rig, vtex = vtex_rig()
    assert vtex.handle(msg) == "refused"
    assert len(rig.log.of("error")) == 1 and named in rig.log.of("error")[0]
    assert rig.tracker.config.user_id is None


def test_foreign_messages_are_reported_as_ignored() -> None:
    rig, vtex = vtex_rig(debug=True)
    vtex.foreign("vtex:orderPlaced", "https://evil.example")
    rig.scheduler.run()
    assert [(d.type, d.url, d.outcome) for d in rig.decisions] == [
        ("vtex:orderPlaced", "https://evil.example", "ignored")
    ]
    assert any("another window or origin" in m for m in rig.log.of("debug"))
    assert rig.transport.sent == []


# --- one rule in one place --------------------------------------------------------------------


def test_the_loader_records_the_same_event_names() -> None:
    loader = (ROOT / "web" / "src" / "tracker.js").read_text()
    match = re.search(r"var VTEX_EVENTS = (\[[^\]]*\]);", loader)
    assert match, "web/src/tracker.js must declare var VTEX_EVENTS = [...]"
    assert tuple(json.loads(match.group(1))) == EVENT_NAMES


def test_typescript_outcomes_match_python() -> None:
    dts = (ROOT / "web" / "src" / "tracker.d.ts").read_text()
    block = dts.split("export type AdTrackerOutcome =", 1)[1].split(";", 1)[0]
    assert tuple(re.findall(r'"([a-z]+)"', block)) == get_args(Outcome)
