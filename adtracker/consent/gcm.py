"""Google Consent Mode v2 → the tracker's consent (``data-consent-from="gcm"``). Pure.

A consent banner that implements Consent Mode calls
``gtag('consent', 'default' | 'update', {ad_storage: 'granted' | 'denied', …})``; gtag
pushes that call's ``arguments`` object onto ``window.dataLayer``. The browser edge hands
each such command here as a list, in the order pushed (those pushed before the tracker
loaded first). The tracker follows ``ad_storage`` (cookies and storage for advertising):

- an ``update`` is the shopper's choice: ``granted`` grants, ``denied`` denies (every
  ``adtracker:`` key is cleared); the latest update wins;
- without an update, a ``default`` is the store's assumption before the shopper chose:
  ``granted`` grants, ``denied`` leaves the tracker ``pending`` (nothing stored or sent;
  nothing cleared, so a returning shopper's ids survive a banner whose update comes after
  the tracker started). A ``default`` limited to some regions (``region: [...]``) cannot be
  placed (the tracker does not know the shopper's region): unless it agrees with a
  granting default for everyone, the tracker stays ``pending``;
- nothing yet: ``pending``.

The loader (``web/src/tracker.js``) applies this rule to pre-boot clicks;
``tests/unit/test_loader_consent.py`` runs both on one table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from adtracker.base.vocabulary import Consent

Storage = Literal["granted", "denied"]


class ConsentParams(BaseModel):
    """The parameters of ``gtag('consent', …, {…})``: only what the tracker reads."""

    model_config = ConfigDict(extra="ignore")

    ad_storage: Storage | None = None
    region: list[str] | str | None = None


@dataclass(frozen=True, slots=True)
class ModeState:
    """``ad_storage`` as the commands so far left it."""

    update: Storage | None = None
    default: Storage | None = None  # the default for every region
    regional: frozenset[Storage] = frozenset()  # values of region-limited defaults


def apply(state: ModeState, command: list[Any]) -> tuple[ModeState, str]:
    """The state after one gtag command, and what is wrong with it ("" when nothing is).
    Commands other than ``consent`` change nothing and say nothing."""
    if not command or command[0] != "consent":
        return state, ""
    action = command[1] if len(command) > 1 else None
    if action not in ("default", "update") or len(command) < 3:
        return state, f"gtag('consent', {action!r}, …) is not a default or update with parameters"
    try:
        params = ConsentParams.model_validate(command[2])
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "its parameters"
        return state, f"gtag('consent', '{action}', …) ignored: {where}: {err['msg']}"
    if params.ad_storage is None:
        return state, ""
    if action == "update":
        return replace(state, update=params.ad_storage), ""
    if params.region:
        return replace(state, regional=state.regional | {params.ad_storage}), ""
    return replace(state, default=params.ad_storage), ""


def consent_of(state: ModeState) -> Consent:
    """The tracker's consent for this state (see the module's rule)."""
    if state.update is not None:
        return state.update
    if state.default == "granted" and state.regional <= {"granted"}:
        return "granted"
    return "pending"
