"""VTEX storefront events → conversions and identity (``data-vtex-events``).

VTEX's Store Framework posts every storefront event to the page itself
(``window.postMessage({eventName: "vtex:<name>", ...data}, window.origin)``, in
``vtex-apps/pixel-manager``), and FastStore stores confirm orders on the same IO
Order Placed page. Two of those events matter here:

- ``vtex:orderPlaced`` becomes one conversion, mapped as VTEX's own VTEX Ads app maps
  it (so that VTEX's ``order_id`` dedup absorbs a duplicate when both run), and then
  goes through :meth:`Tracker.track_conversion` like any other order: validation,
  hashing, the outbox, the 30-day ``order_id`` dedup.
- ``vtex:userData`` with ``isAuthenticated: true`` and an ``id`` identifies the
  shopper, unless the host set the user id itself (see :func:`user_id_to_apply`).

This module is pure: it receives messages already converted to Python and already
checked to come from the page's own window and origin (``adtracker.browser.
platform_events`` does that check, and so does the loader before Python starts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
)

from adtracker.base.limits import MAX_ID_LENGTH
from adtracker.base.vocabulary import PLATFORM_EVENTS
from adtracker.events.conversion import iso_utc

ORDER_PLACED = "vtex:orderPlaced"
#: Also in the pixel manager's event list, with the same data; third-party pixel apps
#: treat it as the same order (VTEX does not document when it fires instead of
#: orderPlaced). Handled alike: the order_id dedup makes a repeat send nothing.
ORDER_PLACED_TRACKED = "vtex:orderPlacedTracked"
USER_DATA = "vtex:userData"
#: The events this module handles (the vocabulary's platform events). The loader
#: (web/src/tracker.js) records the same names before Python starts;
#: tests/unit/test_vtex_events.py pins the two together.
EVENT_NAMES = PLATFORM_EVENTS
MAX_PRODUCTS = 500
#: A phone with fewer digits is not a phone number (VTEX sends "+55…" E.164 numbers).
MIN_PHONE_DIGITS = 8


def _id_text(value: object) -> object:
    """VTEX ids are strings, but some stores send numbers: take both, trimmed."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _optional_id(value: object) -> object:
    """Empty means absent, as JavaScript's ``||`` in VTEX's app treats it."""
    value = _id_text(value)
    return None if value == "" else value


VtexId = Annotated[str, BeforeValidator(_id_text), Field(min_length=1, max_length=MAX_ID_LENGTH)]
OptionalVtexId = Annotated[
    Annotated[str, Field(max_length=MAX_ID_LENGTH)] | None, BeforeValidator(_optional_id)
]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class VtexProduct(BaseModel):
    """One entry of ``transactionProducts`` (only the fields the mapping uses)."""

    model_config = ConfigDict(extra="ignore")

    sku: VtexId
    quantity: float = Field(gt=0, allow_inf_nan=False)
    price: Amount
    sellingPrice: Amount | None = None
    id: OptionalVtexId = None
    sellerId: OptionalVtexId = None


class OrderPlaced(BaseModel):
    """The ``vtex:orderPlaced`` message: only the fields used; the rest is ignored."""

    model_config = ConfigDict(extra="ignore")

    eventName: Literal["vtex:orderPlaced", "vtex:orderPlacedTracked"]
    ordersInOrderGroup: list[OptionalVtexId] | None = None
    orderGroup: OptionalVtexId = None
    transactionId: OptionalVtexId = None
    transactionDate: Any = None
    transactionProducts: list[VtexProduct] = Field(min_length=1, max_length=MAX_PRODUCTS)
    visitorContactInfo: list[Any] = Field(min_length=1)
    visitorContactPhone: Any = None

    @field_validator("visitorContactInfo")
    @classmethod
    def _email_first(cls, value: list[Any]) -> list[Any]:
        first = value[0]
        if not isinstance(first, str) or not first.strip():
            raise ValueError("its first entry (the e-mail) must be non-empty text")
        return value

    @property
    def order_id(self) -> str | None:
        """``ordersInOrderGroup[0]``, else ``orderGroup``, else ``transactionId``."""
        first = self.ordersInOrderGroup[0] if self.ordersInOrderGroup else None
        return first or self.orderGroup or self.transactionId


class UserData(BaseModel):
    """The ``vtex:userData`` message: ``{id?, isAuthenticated, email?, …}``."""

    model_config = ConfigDict(extra="ignore")

    eventName: Literal["vtex:userData"]
    isAuthenticated: StrictBool = False
    id: OptionalVtexId = None


# --- the mapping -------------------------------------------------------------------------

_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?\s*(Z|z|[+-]\d{2}:?\d{2})?$"
)


def created_at(transaction_date: object) -> str | None:
    """``transactionDate`` as ISO-8601 UTC with milliseconds, or None when it is no date.

    VTEX sends seven fractional digits (``2023-02-14T18:56:47.0019167Z``), which some
    ISO parsers refuse: any number of digits is taken (cut to microseconds). A date
    without a zone is VTEX's UTC.
    """
    if not isinstance(transaction_date, str):
        return None
    match = _DATE.match(transaction_date.strip())
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone in (None, "Z", "z") else zone
    if len(zone) == 5:  # +hhmm
        zone = zone[:3] + ":" + zone[3:]
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}.{micro}{zone}")
    except ValueError:  # e.g. month 13
        return None
    return iso_utc(moment.astimezone(UTC).timestamp())


@dataclass(frozen=True, slots=True)
class MappedOrder:
    """The order for :meth:`Tracker.track_conversion`, and notes for debug mode."""

    order: dict[str, Any]
    notes: tuple[str, ...] = ()


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the message"


def problems_of(exc: ValidationError, limit: int = 6) -> str:
    """Pydantic's errors as ``field: message`` with VTEX's field names, never the values."""
    parts = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{_where(tuple(err['loc']))}: {message}")
    return "; ".join(parts[:limit])


def order_from_message(message: Mapping[str, Any]) -> MappedOrder | str:
    """Map ``vtex:orderPlaced`` to our conversion order, or say (naming VTEX's field)
    why it cannot be. The table (VTEX's VTEX Ads app, plus ids it leaves out):

    ====================  =====================================================
    order field           from the message
    ====================  =====================================================
    ``order_id``          ``ordersInOrderGroup[0]``, else ``orderGroup``, else
                          ``transactionId``
    ``items[i]``          ``transactionProducts[i]``: ``sku`` = ``sku``,
                          ``quantity``, ``price`` = ``price``,
                          ``promotional_price`` = ``sellingPrice`` (else
                          ``price``), ``product_id`` = ``id`` and ``seller_id`` =
                          ``sellerId`` when present. Currency units, per unit.
    ``email``             ``visitorContactInfo[0]`` (hashed later, never sent)
    ``phone``             ``visitorContactPhone`` when it is a phone number
    ``created_at``        ``transactionDate`` (any number of fractional digits);
                          when it is missing or no date: the time of the message
    ====================  =====================================================
    """
    try:
        placed = OrderPlaced.model_validate(message)
    except ValidationError as exc:
        return problems_of(exc)
    order_id = placed.order_id
    if order_id is None:
        return "ordersInOrderGroup, orderGroup, transactionId: no order id in any of them"
    notes: list[str] = []
    items = []
    for product in placed.transactionProducts:
        item: dict[str, Any] = {
            "sku": product.sku,
            "quantity": product.quantity,
            "price": product.price,
            "promotional_price": (
                product.price if product.sellingPrice is None else product.sellingPrice
            ),
        }
        if product.id is not None:
            item["product_id"] = product.id
        if product.sellerId is not None:
            item["seller_id"] = product.sellerId
        items.append(item)
    order: dict[str, Any] = {
        "order_id": order_id,
        "items": items,
        "email": placed.visitorContactInfo[0],
    }
    phone = placed.visitorContactPhone
    if isinstance(phone, str) and len(re.sub(r"\D", "", phone)) >= MIN_PHONE_DIGITS:
        order["phone"] = phone
    elif phone not in (None, ""):
        notes.append("visitorContactPhone is not a phone number: sent without phone_hashed")
    when = created_at(placed.transactionDate)
    if when is not None:
        order["created_at"] = when
    else:
        notes.append("transactionDate is missing or not a date: created_at is the message time")
    return MappedOrder(order, tuple(notes))


def user_id_to_apply(
    data: UserData, current: str | None, applied: str | None, other_place: str | None = None
) -> tuple[str | None, str]:
    """The user id a ``vtex:userData`` message sets, or None and why not.

    The host's own id wins: ``data-user-id`` (or an ``identify`` command) is the store's
    customer id, chosen deliberately and stable across channels, as VTEX Ads asks; a
    platform event must not silently replace it. VTEX's profile id replaces only the
    anonymous id (or an id an earlier ``userData`` set: ``applied``). When
    ``data-user-id-from`` names another place than ``vtex`` (``other_place``), the store
    said where its user id lives: the profile id is not used either.
    """
    if not data.isAuthenticated or data.id is None:
        return None, "the shopper is not logged in (isAuthenticated is not true, or no id)"
    if current is not None and current != applied:
        return None, "the host set user_id (data-user-id or identify), which wins"
    if other_place is not None:
        return None, f"data-user-id-from names where user_id lives ({other_place})"
    if current == data.id:
        return None, "already identified"
    return data.id, ""
