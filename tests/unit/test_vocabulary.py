"""The checked-in web/src/tracker.d.ts declares the same words as adtracker.base.vocabulary."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from adtracker import commands
from adtracker.base.vocabulary import (
    COMMAND_NAMES,
    CONSENTS,
    EVENT_TYPES,
    OUTCOMES,
    PLATFORM_EVENTS,
    Verdict,
)
from adtracker.events import dedup
from adtracker.vtex import storefront as vtex_events

DTS = (Path(__file__).resolve().parents[2] / "web" / "src" / "tracker.d.ts").read_text("utf-8")


def union(name: str) -> tuple[str, ...]:
    """The string literals of ``export type <name> = "a" | "b" ...;`` in tracker.d.ts."""
    found = re.search(rf"export type {name}\s*=([^;]*);", DTS)
    assert found is not None, f"{name} is not declared in tracker.d.ts"
    body = re.sub(r"\s+", "", found.group(1)).lstrip("|")
    members = body.split("|")
    assert all(re.fullmatch(r'"[a-zA-Z:]+"', m) for m in members), body
    return tuple(m.strip('"') for m in members)


def command_names() -> tuple[str, ...]:
    """The first element of each tuple in ``AdTrackerCommand``."""
    found = re.search(r"export type AdTrackerCommand\s*=([^;]*);", DTS)
    assert found is not None
    return tuple(re.findall(r'\[\s*"([a-z]+)"\s*,', found.group(1)))


@pytest.mark.parametrize(
    ("ts_name", "python"),
    [
        ("AdTrackerEventType", EVENT_TYPES),
        ("AdTrackerConsent", CONSENTS),
        ("AdTrackerOutcome", OUTCOMES),
        ("AdTrackerPlatformEvent", PLATFORM_EVENTS),
    ],
)
def test_dts_unions_equal_the_vocabulary(ts_name: str, python: tuple[str, ...]) -> None:
    assert union(ts_name) == python


def test_dts_commands_equal_the_vocabulary() -> None:
    assert command_names() == COMMAND_NAMES
    assert tuple(commands.ARGUMENTS) == COMMAND_NAMES


def test_every_event_type_has_a_window_and_every_verdict_is_an_outcome() -> None:
    assert tuple(dedup.WINDOWS) == EVENT_TYPES
    assert set(get_args(Verdict)) <= set(OUTCOMES)


def test_platform_events_are_the_ones_vtex_events_reads() -> None:
    names = {vtex_events.ORDER_PLACED, vtex_events.ORDER_PLACED_TRACKED, vtex_events.USER_DATA}
    assert names == set(PLATFORM_EVENTS)
