"""Applying VTEX storefront messages to a tracker (``data-vtex-events``).

:mod:`adtracker.vtex.storefront` says what a message means (the mapping and the identity
rule); :class:`VtexEvents` here acts on it: a conversion through
:meth:`Tracker.track_conversion`, an identity through :meth:`Tracker.identify`, and a
decision for every message it reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from adtracker.base.decisions import Decision
from adtracker.tracker import Tracker
from adtracker.vtex.storefront import (
    EVENT_NAMES,
    ORDER_PLACED,
    ORDER_PLACED_TRACKED,
    USER_DATA,
    UserData,
    order_from_message,
    problems_of,
    user_id_to_apply,
)

__all__ = ["EVENT_NAMES", "VtexEvents"]


class VtexEvents:
    """Applies VTEX storefront messages to a tracker. Never raises.

    With ``orders=False`` (``data-user-id-from="vtex"`` without ``data-vtex-events``) only
    ``vtex:userData`` is read: orders are ignored silently.
    """

    def __init__(self, tracker: Tracker, *, orders: bool = True) -> None:
        self._tracker = tracker
        self._orders = orders
        self._log = tracker.log  # debug lines only while the tracker's debug is on
        self._applied: str | None = None  # the user id a userData message set

    def handle(self, message: object, at: float | None = None) -> str:
        """One message from the page's own window and origin. Returns what was done:
        the conversion's outcome, ``"identified"``, ``"ignored"`` or ``"refused"``.
        Messages other than :data:`EVENT_NAMES` are ignored silently (the page posts
        many: pageView, productImpression, other libraries' own)."""
        try:
            if not isinstance(message, Mapping):
                return "ignored"
            name = message.get("eventName")
            if name in (ORDER_PLACED, ORDER_PLACED_TRACKED):
                return self._order_placed(name, message, at) if self._orders else "ignored"
            if name == USER_DATA:
                return self._user_data(message)
            return "ignored"
        except Exception as exc:  # the host page must never see our errors
            self._log.error(f"internal error while reading a VTEX event: {exc!r}")
            return "refused"

    def foreign(self, event_name: str, origin: str) -> None:
        """A VTEX event name posted by another window or origin: never trusted."""
        why = f"posted by another window or origin ({origin or 'unknown'}); only the page may"
        self._tracker.report(Decision(event_name, origin or "", "ignored", why))

    def _order_placed(self, name: str, message: Mapping[str, Any], at: float | None) -> str:
        url = self._tracker.config.conversion_url
        mapped = order_from_message(message)
        if isinstance(mapped, str):
            self._log.error(f"{name} not sent: {mapped}")
            self._tracker.report(Decision("conversion", url, "refused", f"{name}: {mapped}"))
            return "refused"
        notes = "".join(f"; {note}" for note in mapped.notes)
        self._log.debug(f"{name} → conversion for order {mapped.order['order_id']}{notes}")
        return self._tracker.track_conversion(mapped.order, at=at)

    def _user_data(self, message: Mapping[str, Any]) -> str:
        try:
            data = UserData.model_validate(message)
        except ValidationError as exc:
            why = problems_of(exc)
            self._log.error(f"vtex:userData ignored: {why}")
            self._tracker.report(Decision(USER_DATA, "", "refused", why))
            return "refused"
        config = self._tracker.config
        place = config.user_id_from
        other = None if place is None or place.kind == "vtex" else str(place)
        user_id, why = user_id_to_apply(data, config.user_id, self._applied, other)
        if user_id is None:
            self._tracker.report(Decision(USER_DATA, "", "ignored", why))
            return "ignored"
        if not self._tracker.identify(user_id):
            return "refused"
        self._applied = user_id
        self._tracker.report(Decision(USER_DATA, "", "identified", "user_id is VTEX's profile id"))
        return "identified"
