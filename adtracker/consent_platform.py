"""The store's consent platform decides the tracker's consent (``data-consent-from``).

:mod:`adtracker.consent_mode` (Google Consent Mode v2) and :mod:`adtracker.tcf` (IAB TCF
v2.2) say what the platform's words mean; :class:`PlatformConsent` applies them to a
tracker through :meth:`Tracker.consent`, at once and in either direction, exactly as the
``consent`` command does. The browser edge (``adtracker.browser.consent_sources``) feeds
it. Until the platform answers the tracker is ``pending`` (never granted); a missing or
broken platform API gives one debug line and leaves it so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adtracker import consent_mode, tcf
from adtracker.tracker import Tracker
from adtracker.vocabulary import Consent, ConsentSource


class PlatformConsent:
    """Applies a consent platform's answers to a tracker. Never raises."""

    def __init__(self, tracker: Tracker, source: ConsentSource) -> None:
        self._tracker = tracker
        self._source = source
        self._log = tracker.log  # debug lines only while the tracker's debug is on
        self._mode = consent_mode.ModeState()
        self._unavailable_said = False
        if "consent" in tracker.config.model_fields_set:
            self._log.debug(f'data-consent is ignored: data-consent-from="{source}" decides')

    def consent_mode(self, commands: Iterable[list[Any]]) -> None:
        """gtag commands from ``dataLayer``, in order (``consent`` ones matter)."""
        try:
            for command in commands:
                self._mode, problem = consent_mode.apply(self._mode, command)
                if problem:
                    self._log.debug(f"Consent Mode: {problem}")
            self._apply(consent_mode.consent_of(self._mode), "Consent Mode's ad_storage")
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
