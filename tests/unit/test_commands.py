import json

import pytest

from adtracker import commands
from tests.unit.fakes import AD1, ORIGIN, make_rig

IMP = ORIGIN + "/v1/beacon/impression/x"
CONV = ORIGIN + "/v1/beacon/conversion"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("click", "a command is an array"),
        ([], "a command is an array"),
        ([5, "x"], "a command is an array"),
        (["nope"], "unknown command 'nope'"),
        (["click"], "takes 1 argument"),
        (["click", AD1, AD1], "takes 1 argument"),
        (["click", 5], "url"),
        (["consent", "maybe"], "value"),
        (["debug", "loud"], "value"),
        (["conversion", "order-1"], "order"),
        (["identify", None], "user_id"),
    ],
)
def test_bad_commands_are_explained(raw: object, needle: str) -> None:
    message = commands.parse(raw)
    assert isinstance(message, str) and needle in message


def test_bad_conversion_command_does_not_echo_the_order() -> None:
    message = commands.parse(["conversion", ["secret@example.com"]])
    assert isinstance(message, str) and "secret" not in message


def test_each_command_reaches_the_tracker() -> None:
    rig = make_rig(publisher_id="pub", conversion_url=CONV)
    rig.tracker.start()
    order = {
        "order_id": "o-1",
        "email": "a@b.c",
        "items": [{"sku": "s", "quantity": 1, "price": 1, "promotional_price": 1}],
    }
    for raw in (
        ["identify", "customer-9"],
        ["click", AD1],
        ["impression", IMP],
        ["view", ORIGIN + "/v1/beacon/view/x"],
        ["conversion", order],
        ["debug", True],
    ):
        assert commands.run(rig.tracker, raw, rig.log, at=rig.clock.now())
    assert [s.url for s in rig.transport.sent] == [AD1, IMP, ORIGIN + "/v1/beacon/view/x", CONV]
    assert all(json.loads(s.body)["user_id"] == "customer-9" for s in rig.transport.sent)
    assert rig.tracker.debug is True
    assert commands.run(rig.tracker, ["consent", "denied"], rig.log)
    assert rig.tracker.consent_state == "denied"


def test_a_bad_command_logs_an_error_and_returns_false() -> None:
    rig = make_rig()
    assert commands.run(rig.tracker, ["nope"], rig.log) is False
    (error,) = rig.log.of("error")
    assert error.startswith("bad command: unknown command 'nope'; known: click, impression")
