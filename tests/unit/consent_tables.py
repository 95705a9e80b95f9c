"""The consent platforms' cases, one table each, shared by the Python rules' tests
(test_consent_platforms.py) and the loader's pinned copy (test_loader_consent.py).

A Consent Mode case is a ``dataLayer`` in push order: ``("args", [...])`` is what
``gtag(...)`` pushes (an ``arguments`` object), ``("raw", value)`` anything else a page
pushes (GTM events, arrays), which is never a consent command; then the consent the
tracker takes from it. A TCF case is ``(tcData, success)`` and the consent (None: the
answer changes nothing).
"""

from __future__ import annotations

from typing import Any

G, D = {"ad_storage": "granted"}, {"ad_storage": "denied"}
EEA = ["AT", "BE", "DE", "ES", "FR", "IT", "NL", "PT"]


def args(*values: Any) -> tuple[str, list[Any]]:
    return ("args", list(values))


def raw(value: Any) -> tuple[str, Any]:
    return ("raw", value)


GCM_CASES: list[tuple[str, list[tuple[str, Any]], str]] = [
    ("nothing yet", [], "pending"),
    ("only GTM events", [raw({"event": "gtm.js"}), raw({"event": "page_view"})], "pending"),
    ("default granted", [args("consent", "default", G)], "granted"),
    ("default denied is not a choice", [args("consent", "default", D)], "pending"),
    ("update granted", [args("consent", "default", D), args("consent", "update", G)], "granted"),
    ("update denied", [args("consent", "default", G), args("consent", "update", D)], "denied"),
    (
        "the latest update wins",
        [args("consent", "update", G), args("consent", "update", D), args("consent", "update", G)],
        "granted",
    ),
    (
        "a later update overrides",
        [args("consent", "update", G), args("consent", "update", D)],
        "denied",
    ),
    (
        "a default after an update does not undo it",
        [args("consent", "update", D), args("consent", "default", G)],
        "denied",
    ),
    (
        "update without ad_storage",
        [args("consent", "update", {"analytics_storage": "granted"})],
        "pending",
    ),
    ("an array is not a gtag command", [raw(["consent", "update", G])], "pending"),
    ("a plain object is not either", [raw({"0": "consent", "1": "update", "2": G})], "pending"),
    (
        "other gtag commands",
        [args("js", "2024"), args("config", "G-1", G), args("set", G)],
        "pending",
    ),
    (
        "a bad value is ignored",
        [args("consent", "default", G), args("consent", "update", {"ad_storage": "yes"})],
        "granted",
    ),
    (
        "a bad action is ignored",
        [args("consent", "revoke", D), args("consent", "default", G)],
        "granted",
    ),
    ("no parameters", [args("consent", "update")], "pending"),
    ("parameters not an object", [args("consent", "update", "granted")], "pending"),
    ("parameters an array", [args("consent", "update", ["granted"])], "pending"),
    (
        "a regional denial keeps it pending",
        [args("consent", "default", G), args("consent", "default", {**D, "region": EEA})],
        "pending",
    ),
    (
        "a regional grant agrees",
        [args("consent", "default", G), args("consent", "default", {**G, "region": ["US"]})],
        "granted",
    ),
    (
        "a regional grant alone is not known",
        [args("consent", "default", {**G, "region": ["US"]})],
        "pending",
    ),
    (
        "a region as text",
        [args("consent", "default", {**D, "region": "ES"}), args("consent", "default", G)],
        "pending",
    ),
    (
        "an empty region is every region",
        [args("consent", "default", {**G, "region": []})],
        "granted",
    ),
    ("an empty region text too", [args("consent", "default", {**G, "region": ""})], "granted"),
    (
        "a bad region is ignored",
        [args("consent", "default", {**D, "region": [1, 2]}), args("consent", "default", G)],
        "granted",
    ),
    (
        "the update decides over regions",
        [args("consent", "default", {**D, "region": EEA}), args("consent", "update", G)],
        "granted",
    ),
    (
        "region on an update is ignored",
        [args("consent", "update", {**D, "region": ["US"]})],
        "denied",
    ),
    ("null parameters", [args("consent", "default", None)], "pending"),
]


def tc(status: str | None = "tcloaded", applies: Any = True, **consents: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"gdprApplies": applies, "cmpStatus": "loaded", "listenerId": 3}
    if status is not None:
        data["eventStatus"] = status
    data["purpose"] = {"consents": {k.lstrip("p"): v for k, v in consents.items()}}
    return data


BOTH = {"p1": True, "p7": True}
TCF_CASES: list[tuple[str, Any, Any, str | None]] = [
    ("stored choice with both purposes", tc("tcloaded", **BOTH), True, "granted"),
    ("the shopper just chose both", tc("useractioncomplete", **BOTH, p2=False), True, "granted"),
    ("purpose 7 refused", tc("useractioncomplete", p1=True, p7=False), True, "denied"),
    ("purpose 1 missing", tc("tcloaded", p7=True), True, "denied"),
    ("no purposes at all", tc("tcloaded"), True, "denied"),
    ("a truthy non-boolean is no consent", tc("tcloaded", p1=1, p7="true"), True, "denied"),
    ("purpose 7 true as text is no consent", tc("tcloaded", p1=True, p7="true"), True, "denied"),
    ("purpose 1 as 1 is no consent", tc("tcloaded", p1=1, p7=True), True, "denied"),
    ("the banner is open", tc("cmpuishown", **BOTH), True, "pending"),
    ("gdprApplies false", tc("tcloaded", applies=False), True, "granted"),
    ("gdprApplies false while the banner shows", tc("cmpuishown", applies=False), True, "granted"),
    (
        "gdprApplies unknown yet still needs consent",
        tc("tcloaded", applies=None, **BOTH),
        True,
        "granted",
    ),
    ("gdprApplies not a boolean", tc("tcloaded", applies="false"), True, None),
    ("no eventStatus yet", tc(None, **BOTH), True, None),
    ("an unknown eventStatus", tc("loading", **BOTH), True, None),
    ("success false", tc("tcloaded", **BOTH), False, None),
    ("success not true", tc("tcloaded", **BOTH), 1, None),
    ("cmpStatus error", {**tc("tcloaded", **BOTH), "cmpStatus": "error"}, True, None),
    ("no TCData", None, True, None),
    ("TCData text", "tcloaded", True, None),
    ("TCData an array", [1, 2], True, None),
    ("purpose not an object", {**tc("tcloaded"), "purpose": "all"}, True, None),
    (
        "purpose.consents an array",
        {**tc("tcloaded"), "purpose": {"consents": [True, True]}},
        True,
        None,
    ),
    ("purpose.consents null", {**tc("tcloaded"), "purpose": {"consents": None}}, True, "denied"),
    ("purpose null", {**tc("tcloaded"), "purpose": None}, True, "denied"),
    ("gdprApplies false decides even without purposes", {"gdprApplies": False}, True, "granted"),
]
