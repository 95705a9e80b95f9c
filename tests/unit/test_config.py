import pytest

from adtracker.base.beacon import DEFAULT_BEACON_ORIGIN, DEFAULT_CONVERSION_URL
from adtracker.config import (
    TrackerConfig,
    config_from_attributes,
    debug_from_query,
)


def test_defaults_when_nothing_given() -> None:
    config, problems = config_from_attributes({})
    assert problems == []
    assert config == TrackerConfig()
    # Every VTEX Ads event host VTEX's documents use, the conversion URL on the first.
    assert config.beacon_origins == (
        "https://events.newtail-media.newtail.com.br",
        "https://events-api.ads.vtex.com",
        "https://newtail-media.newtail.com.br",
    )
    assert DEFAULT_BEACON_ORIGIN == "https://events.newtail-media.newtail.com.br"
    assert config.conversion_url == DEFAULT_CONVERSION_URL
    assert config.conversion_url == (
        "https://events.newtail-media.newtail.com.br/v1/beacon/conversion"
    )
    assert config.user_id is None and config.session_id is None
    assert config.debug is False
    assert config.vtex_events is False
    assert config.session_ttl_days == 30.0


def test_all_attributes() -> None:
    config, problems = config_from_attributes(
        {
            "beacon-origins": " https://a.example  http://127.0.0.1:8001/ https://a.example ",
            "user-id": "customer-42",
            "session-id": "storefront-session-id",
            "debug": "",
            "session-ttl-days": "14",
            "unrelated": "x",
        }
    )
    assert problems == ["unknown setting 'unrelated' ignored"]
    assert config.beacon_origins == ("https://a.example", "http://127.0.0.1:8001")
    assert config.user_id == "customer-42"
    assert config.session_id == "storefront-session-id"
    assert config.debug is True
    assert config.session_ttl_seconds == 14 * 86400


@pytest.mark.parametrize(
    ("raw", "expected"), [("", True), ("true", True), ("false", False), ("0", False)]
)
def test_debug_attribute(raw: str, expected: bool) -> None:
    assert config_from_attributes({"debug": raw})[0].debug is expected


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({}, False),
        ({"vtex-events": ""}, True),
        ({"vtex-events": "true"}, True),
        ({"vtex-events": "false"}, False),
        ({"vtex-events": " OFF "}, False),
        ({"vtex-events": "0"}, False),
        ({"vtex_events": True}, True),
        ({"vtex_events": False}, False),
    ],
)
def test_vtex_events_is_a_boolean_attribute_off_by_default(
    attributes: dict[str, object], expected: bool
) -> None:
    config, problems = config_from_attributes(attributes)
    assert (config.vtex_events, problems) == (expected, [])


@pytest.mark.parametrize(
    ("attrs", "field", "needle"),
    [
        ({"beacon-origins": "https://a.example/path"}, "beacon_origins", "data-beacon-origins"),
        ({"beacon-origins": "   "}, "beacon_origins", "data-beacon-origins"),
        ({"session-ttl-days": "soon"}, "session_ttl_days", "data-session-ttl-days"),
        ({"session-ttl-days": "-1"}, "session_ttl_days", "data-session-ttl-days"),
        ({"user-id": "x" * 300}, "user_id", "data-user-id"),
        ({"user-id": "bad\nid"}, "user_id", "data-user-id"),
        ({"consent": "maybe"}, "consent", "data-consent"),
        ({"debug": 5}, "debug", "data-debug"),
    ],
)
def test_bad_values_fall_back_to_defaults_with_a_message(attrs, field: str, needle: str) -> None:
    config, problems = config_from_attributes(attrs)
    assert getattr(config, field) == TrackerConfig.model_fields[field].default
    assert len(problems) == 1 and needle in problems[0] and "using the default" in problems[0]


def test_one_bad_value_keeps_the_good_ones() -> None:
    config, problems = config_from_attributes(
        {
            "user-id": "customer-42",
            "session-ttl-days": "never",
            "beacon-origins": "https://a.example",
        }
    )
    assert config.user_id == "customer-42"
    assert config.beacon_origins == ("https://a.example",)
    assert config.session_ttl_days == 30.0
    assert len(problems) == 1


def test_empty_ids_mean_not_given() -> None:
    config, problems = config_from_attributes({"user-id": "", "session-id": "  "})
    assert (config.user_id, config.session_id, problems) == (None, None, [])


def test_config_is_frozen() -> None:
    config = TrackerConfig()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error type is private
        config.debug = True  # type: ignore[misc]


def test_python_field_names_work_too() -> None:
    config, problems = config_from_attributes(
        {"beacon_origins": ["https://a.example", "https://b.example"], "debug": True}
    )
    assert problems == []
    assert config.beacon_origins == ("https://a.example", "https://b.example")
    assert config.debug is True


def test_python_callers_see_field_names() -> None:
    _, problems = config_from_attributes({"session_ttl_days": "soon"})
    assert problems and problems[0].startswith("session_ttl_days='soon' ignored")


@pytest.mark.parametrize(
    ("raw", "debug", "overlay"),
    [
        ("overlay", True, True),
        (" Overlay ", True, True),
        ("true", True, False),
        ("off", False, False),
    ],
)
def test_data_debug_overlay_turns_on_the_overlay_and_the_console(
    raw: str, debug: bool, overlay: bool
) -> None:
    config, problems = config_from_attributes({"debug": raw})
    assert (config.debug, config.overlay, problems) == (debug, overlay, [])


@pytest.mark.parametrize(
    ("search", "asked"),
    [
        ("", None),
        ("?q=shoes", None),
        ("?adtracker-debug=overlay", "overlay"),
        ("?q=1&adtracker-debug", "true"),
        ("?adtracker-debug=1&adtracker-debug=overlay", "overlay"),
        ("?adtracker-debug=off", "off"),
        ("?adtracker-debugx=overlay", None),
    ],
)
def test_debug_from_the_page_query(search: str, asked: str | None) -> None:
    assert debug_from_query(search) == asked
