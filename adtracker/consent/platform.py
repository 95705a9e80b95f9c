"""The store's consent platform decides the tracker's consent (``data-consent-from``).

:mod:`adtracker.consent.gcm` (Google Consent Mode v2) and :mod:`adtracker.consent.tcf` (IAB TCF
v2.2) say what the platform's words mean; :class:`PlatformConsent` applies them to a
tracker through :meth:`Tracker.consent`, at once and in either direction, exactly as the
``consent`` command does. The browser edge (``adtracker.browser.consent_sources``) feeds
it. Until the platform answers the tracker is ``pending`` (never granted); a missing or
broken platform API gives one debug line and leaves it so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from adtracker.base.ports import Log
from adtracker.base.vocabulary import Consent, ConsentSource
from adtracker.consent import gcm, tcf


class ConsentTarget(Protocol):
    """What the platform's answers are applied to (``adtracker.Tracker`` is one)."""

    @property
    def consent_state(self) -> Consent: ...
    @property
    def log(self) -> Log: ...
    def consent(self, value: object) -> bool: ...


class PlatformConsent:
    """Applies a consent platform's answers to a tracker. Never raises.

    ``said_consent``: the host also set ``data-consent``, which the platform overrides."""

    def __init__(
        self, tracker: ConsentTarget, source: ConsentSource, *, said_consent: bool = False
    ) -> None:
        self._tracker = tracker
        self._source = source
        self._log = tracker.log  # debug lines only while the tracker's debug is on
        self._mode = gcm.ModeState()
        self._unavailable_said = False
        if said_consent:
            self._log.debug(f'data-consent is ignored: data-consent-from="{source}" decides')

    def consent_mode(self, commands: Iterable[list[Any]]) -> None:
        """gtag commands from ``dataLayer``, in order (``consent`` ones matter)."""
        try:
            for command in commands:
                self._mode, problem = gcm.apply(self._mode, command)
                if problem:
                    self._log.debug(f"Consent Mode: {problem}")
            self._apply(gcm.consent_of(self._mode), "Consent Mode's ad_storage")
        except Exception as exc:  # the host page must never see our errors
            self._log.error(f"internal error while reading Consent Mode: {exc!r}")

    def tcf_answer(self, tc_data: object, success: object) -> None:
        """One ``addEventListener`` callback of the TCF CMP: ``(tcData, success)``."""
        try:
            consent, why = tcf.decide(tc_data, success)
            if consent is None:
                self._log.debug(f"TCF: {why}; consent stays {self._tracker.consent_state}")
            else:
                self._apply(consent, f"TCF: {why}")
        except Exception as exc:
            self._log.error(f"internal error while reading the TCF answer: {exc!r}")

    def unavailable(self, why: str) -> None:
        """The platform's API is missing or broken: said once; consent is left as it is."""
        if not self._unavailable_said:
            self._unavailable_said = True
            self._log.debug(
                f'data-consent-from="{self._source}": {why}; consent stays '
                f"{self._tracker.consent_state}"
            )

    def _apply(self, consent: Consent, why: str) -> None:
        if consent == self._tracker.consent_state:
            self._log.debug(f"consent stays {consent} ({why})")
            return
        self._log.debug(f"consent {consent} from the consent platform ({why})")
        self._tracker.consent(consent)
