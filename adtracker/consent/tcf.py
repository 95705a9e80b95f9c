"""IAB TCF v2.2 → the tracker's consent (``data-consent-from="tcf"``). Pure.

The browser edge calls ``__tcfapi('addEventListener', 2, callback)``; the CMP calls back
with ``(tcData, success)`` when it loads and at every change. What is read, and why:

- ``success`` must be ``true`` and ``cmpStatus`` not ``"error"``; otherwise the answer
  changes nothing;
- ``gdprApplies: false``: the GDPR does not apply to this shopper: granted;
- ``eventStatus``: ``"tcloaded"`` (a stored choice) and ``"useractioncomplete"`` (the
  shopper just chose) decide; ``"cmpuishown"`` (the banner is open: the shopper is
  choosing) is pending; anything else changes nothing;
- ``purpose.consents["1"]`` (store and/or access information on a device) and
  ``purpose.consents["7"]`` (measure advertising performance) must both be ``true``;
  else denied. These are the shopper's purpose consents, which every TCF CMP records.
  The tracker reads no vendor consent (``vendor.consents[id]``): VTEX Ads has no id in
  the IAB's Global Vendor List that VTEX documents, so no CMP can hold one. Nor does it
  read ``publisher.consents`` (present only when the store's CMP also asks for its own
  purposes). Legitimate interest (``purpose.legitimateInterests``) is not enough:
  purpose 1 needs consent, and so, here, does purpose 7.

The loader (``web/src/tracker.js``) applies this rule to pre-boot clicks;
``tests/unit/test_loader_consent.py`` runs both on one table.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, ValidationError

from adtracker.base.vocabulary import Consent

#: TCF purposes the tracker needs consent for: 1 (store and/or access information on a
#: device) and 7 (measure advertising performance).
REQUIRED_PURPOSES = ("1", "7")
DECIDING = ("tcloaded", "useractioncomplete")


def _text_keys(value: Any) -> Any:
    """JavaScript object keys are text (a Python caller may use numbers); null is none."""
    if value is None:
        return {}
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class TcfPurposes(BaseModel):
    model_config = ConfigDict(extra="ignore")

    consents: Annotated[dict[str, Any], BeforeValidator(_text_keys)] = {}


class TCData(BaseModel):
    """The fields of a TCData object the tracker reads; the rest is ignored."""

    model_config = ConfigDict(extra="ignore")

    cmpStatus: Any = None
    gdprApplies: StrictBool | None = None
    eventStatus: Any = None
    purpose: TcfPurposes | None = None


def decide(tc_data: object, success: object) -> tuple[Consent | None, str]:
    """What one CMP answer means: the consent (None: no change) and why."""
    if success is not True:
        return None, "the CMP answered success=false"
    if not isinstance(tc_data, dict):
        return None, f"the CMP answered no TCData object ({type(tc_data).__name__})"
    try:
        data = TCData.model_validate(tc_data)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        return None, f"unreadable TCData: {'.'.join(map(str, err['loc']))}: {err['msg']}"
    if data.cmpStatus == "error":
        return None, "the CMP reports cmpStatus 'error'"
    if data.gdprApplies is False:
        return "granted", "gdprApplies is false"
    if data.eventStatus == "cmpuishown":
        return "pending", "the CMP shows its banner (eventStatus cmpuishown)"
    if data.eventStatus not in DECIDING:
        return None, f"eventStatus {data.eventStatus!r} decides nothing yet"
    consents = data.purpose.consents if data.purpose is not None else {}
    missing = [p for p in REQUIRED_PURPOSES if consents.get(p) is not True]
    if missing:
        return "denied", f"no consent for purpose {' and '.join(missing)} ({data.eventStatus})"
    return "granted", f"consent for purposes 1 and 7 ({data.eventStatus})"
