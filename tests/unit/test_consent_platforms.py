"""Consent from the store's consent platform (data-consent-from): Consent Mode's and
TCF's rules (table-driven), and the tracker following them in either direction."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adtracker.config import config_from_attributes
from adtracker.consent import gcm as consent_mode
from adtracker.consent import tcf
from adtracker.consent.platform import PlatformConsent
from tests.unit.consent_tables import (
    BOTH,
    GCM_CASES,
    TCF_CASES,
    D,
    G,
    tc,
)
from tests.unit.fakes import AD1, AD2, make_rig


def follow(layer: list[tuple[str, Any]]) -> str:
    """The consent Python takes from a dataLayer (the edge keeps only gtag's pushes)."""
    state = consent_mode.ModeState()
    for kind, value in layer:
        if kind == "args":
            state, _ = consent_mode.apply(state, value)
    return consent_mode.consent_of(state)


@pytest.mark.parametrize(("name", "layer", "expected"), GCM_CASES, ids=[c[0] for c in GCM_CASES])
def test_consent_mode_rule(name: str, layer: list[tuple[str, Any]], expected: str) -> None:
    assert follow(layer) == expected


def test_a_bad_consent_command_says_what_is_wrong() -> None:
    state = consent_mode.ModeState()
    _, problem = consent_mode.apply(state, ["consent", "update", {"ad_storage": "yes"}])
    assert problem.startswith("gtag('consent', 'update', …) ignored: ad_storage:"), problem
    _, problem = consent_mode.apply(state, ["consent", "revoke"])
    assert "is not a default or update" in problem
    assert consent_mode.apply(state, ["event", "page_view"]) == (state, "")


@pytest.mark.parametrize(
    ("name", "tc_data", "success", "expected"), TCF_CASES, ids=[c[0] for c in TCF_CASES]
)
def test_tcf_rule(name: str, tc_data: Any, success: Any, expected: str | None) -> None:
    consent, why = tcf.decide(tc_data, success)
    assert consent == expected
    assert why


def test_tcf_reads_number_keys_from_python_callers_too() -> None:
    data = {"eventStatus": "tcloaded", "gdprApplies": True, "purpose": {"consents": {1: True}}}
    assert tcf.decide(data, True)[0] == "denied"
    data["purpose"]["consents"][7] = True  # type: ignore[index]
    assert tcf.decide(data, True)[0] == "granted"


def test_consent_from_attribute() -> None:
    assert config_from_attributes({"consent-from": " GCM "})[0].consent_from == "gcm"
    assert config_from_attributes({"consent-from": "tcf"})[0].consent_from == "tcf"
    assert config_from_attributes({"consent-from": ""}) == config_from_attributes({})
    config, problems = config_from_attributes({"consent-from": "onetrust"})
    assert config.consent_from is None
    assert problems == [
        "data-consent-from='onetrust' ignored: Input should be 'gcm' or 'tcf'; "
        "using the default None"
    ]


# --- the tracker following the platform -----------------------------------------------------


def platform_rig(source: str, **config: Any) -> tuple[Any, PlatformConsent]:
    rig = make_rig(consent_from=source, debug=True, **config)
    said = "consent" in rig.tracker.config.model_fields_set
    return rig, PlatformConsent(rig.tracker, source, said_consent=said)  # type: ignore[arg-type]


def test_pending_until_the_platform_answers_whatever_data_consent_says() -> None:
    rig, platform = platform_rig("gcm", consent="granted")
    rig.tracker.start()
    assert rig.tracker.consent_state == "pending"
    assert rig.tracker.track_click(AD1) == "queued"
    platform.consent_mode([])  # nothing known yet: still pending, never granted
    assert rig.tracker.consent_state == "pending"
    assert rig.storage.data == {} and rig.transport.sent == []
    assert 'data-consent is ignored: data-consent-from="gcm" decides' in rig.log.of("debug")


def test_a_late_grant_sends_what_waited() -> None:
    rig, platform = platform_rig("gcm")
    rig.tracker.start()
    rig.tracker.track_click(AD1)
    platform.consent_mode([["consent", "default", D]])
    assert rig.tracker.consent_state == "pending" and rig.transport.sent == []
    platform.consent_mode([["consent", "update", G]])
    assert rig.tracker.consent_state == "granted"
    assert [s.url for s in rig.transport.sent] == [AD1]


def test_granted_then_denied_clears_everything_and_sends_nothing_after() -> None:
    rig, platform = platform_rig("gcm")
    platform.consent_mode([["consent", "default", G]])  # known before start
    rig.tracker.start()
    assert rig.tracker.track_click(AD1) == "sent"
    assert any(k.startswith("adtracker:") for k in rig.storage.data)
    platform.consent_mode([["consent", "update", D]])
    assert rig.tracker.consent_state == "denied"
    assert [k for k in rig.storage.data if k.startswith("adtracker:")] == []
    assert rig.tracker.track_click(AD2) == "refused"
    rig.scheduler.run()
    assert [s.url for s in rig.transport.sent] == [AD1]
    assert any("consent denied from the consent platform" in m for m in rig.log.of("debug"))


def test_tcf_answers_in_either_direction() -> None:
    rig, platform = platform_rig("tcf")
    rig.tracker.start()
    platform.tcf_answer(tc("cmpuishown"), True)
    assert rig.tracker.consent_state == "pending"
    platform.tcf_answer(tc("useractioncomplete", **BOTH), True)
    assert rig.tracker.consent_state == "granted"
    rig.tracker.track_click(AD1)
    platform.tcf_answer(tc("useractioncomplete", p1=True, p7=False), True)
    assert rig.tracker.consent_state == "denied" and rig.storage.data == {}
    platform.tcf_answer(tc("useractioncomplete", **BOTH), False)  # a failure: no change
    assert rig.tracker.consent_state == "denied"
    assert any("success=false; consent stays denied" in m for m in rig.log.of("debug"))
    gdpr_off, off = platform_rig("tcf")
    gdpr_off.tracker.start()
    off.tcf_answer({"gdprApplies": False, "eventStatus": "tcloaded"}, True)
    assert gdpr_off.tracker.consent_state == "granted"


def test_a_missing_platform_is_said_once_and_leaves_it_pending() -> None:
    rig, platform = platform_rig("tcf")
    rig.tracker.start()
    platform.unavailable("window.__tcfapi is not a function")
    platform.unavailable("window.__tcfapi is not a function")
    said = [m for m in rig.log.of("debug") if "__tcfapi" in m]
    assert said == [
        'data-consent-from="tcf": window.__tcfapi is not a function; consent stays pending'
    ]
    assert rig.tracker.consent_state == "pending"


def test_the_host_command_and_the_platform_both_apply_the_latest_wins() -> None:
    rig, platform = platform_rig("gcm")
    rig.tracker.start()
    platform.consent_mode([["consent", "update", G]])
    rig.tracker.consent("denied")  # the host's own ["consent", "denied"]
    assert rig.tracker.consent_state == "denied"
    platform.consent_mode([["consent", "update", G]])
    assert rig.tracker.consent_state == "granted"
    rig.tracker.track_click(AD1)
    assert json.loads(rig.transport.sent[-1].body)["user_id"]
