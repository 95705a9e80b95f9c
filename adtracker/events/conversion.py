"""Conversions (orders): validated with pydantic after VTEX's conversion schema, with
personal data normalised and SHA-256 hashed in the browser.

The host may pass raw ``email``, ``phone``, ``social_id`` (CPF/CNPJ), ``first_name``
and ``last_name``; they are normalised as VTEX prescribes, hashed (lowercase hex) and
sent as ``*_hashed``. Raw values are never sent, stored or logged. Fields that arrive
already hashed pass through unchanged.

:func:`hash_order` runs first (personal data never waits in clear, even for consent);
:func:`prepare` turns the hashed order into what the tracker sends: its dedup key and body.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from adtracker.base.digest import sha256_hex
from adtracker.base.limits import MAX_BODY_CHARS
from adtracker.events import dedup
from adtracker.ids.identity import Identity

_HASHED = re.compile(r"^[0-9a-f]{64}$")
# Raw personal fields and where their hash goes.
PERSONAL_FIELDS = {
    "email": "email_hashed",
    "phone": "phone_hashed",
    "social_id": "social_id_hashed",
    "first_name": "first_name_hashed",
    "last_name": "last_name_hashed",
}
DEFAULT_COUNTRY_CODE = "55"  # Brazil: a 10- or 11-digit phone without a country code


class ConversionSettings(Protocol):
    """What a conversion's body takes from the tracker's configuration (``TrackerConfig``)."""

    @property
    def publisher_id(self) -> str | None: ...
    @property
    def channel(self) -> str: ...


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def normalize_phone(raw: str) -> str:
    """E.164 with no mask: ``+`` and digits. Brazilian numbers without a country code
    (10 or 11 digits) get ``+55``."""
    text = raw.strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("00"):
        digits = digits[2:]
    elif not text.startswith("+") and len(digits) in (10, 11):
        digits = DEFAULT_COUNTRY_CODE + digits
    return "+" + digits


def normalize_social_id(raw: str) -> str:
    return re.sub(r"\D", "", raw)


def normalize_name(raw: str) -> str:
    return " ".join(raw.split())


NORMALIZERS = {
    "email": normalize_email,
    "phone": normalize_phone,
    "social_id": normalize_social_id,
    "first_name": normalize_name,
    "last_name": normalize_name,
}


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=256)
    quantity: float = Field(gt=0)
    price: float = Field(ge=0, description="per unit, not multiplied by quantity")
    promotional_price: float = Field(ge=0, description="per unit, not multiplied by quantity")
    seller_id: str | None = None
    product_id: str | None = Field(default=None, max_length=256)


class ConversionBody(BaseModel):
    """What is POSTed to the conversion URL (VTEX's conversion schema)."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, max_length=64)
    publisher_id: str = Field(min_length=1, max_length=256)
    user_id: str = Field(min_length=1)
    session_id: str = Field(min_length=1)
    order_id: str = Field(min_length=1, max_length=256)
    email_hashed: str = Field(pattern=_HASHED.pattern)
    items: list[OrderItem] = Field(min_length=1, max_length=500)
    created_at: str
    brand: str | None = Field(default=None, max_length=256)
    is_company: bool | None = None
    gender: Literal["F", "M", "O"] | None = None
    uf: str | None = Field(default=None, max_length=64)
    city: str | None = Field(default=None, max_length=256)
    phone_hashed: str | None = Field(default=None, pattern=_HASHED.pattern)
    social_id_hashed: str | None = Field(default=None, pattern=_HASHED.pattern)
    first_name_hashed: str | None = Field(default=None, pattern=_HASHED.pattern)
    last_name_hashed: str | None = Field(default=None, pattern=_HASHED.pattern)

    @field_validator("created_at")
    @classmethod
    def _iso_utc(cls, value: str) -> str:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError("must be an ISO-8601 date-time, e.g. 2026-01-01T09:20:00Z") from exc
        if parsed.tzinfo is None:
            raise ValueError("must carry a time zone (UTC), e.g. 2026-01-01T09:20:00Z")
        return _format_utc(parsed)


def hash_personal_data(order: dict[str, Any]) -> dict[str, Any]:
    """Replace raw personal fields by their normalised SHA-256 (``email`` → ``email_hashed``)."""
    out = dict(order)
    for raw_field, hashed_field in PERSONAL_FIELDS.items():
        raw = out.pop(raw_field, None)
        if raw is None or out.get(hashed_field) is not None:
            continue  # absent, or already hashed by the host: pass through
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError(f"{raw_field} must be non-empty text")
        out[hashed_field] = sha256_hex(NORMALIZERS[raw_field](raw))
    for hashed_field in PERSONAL_FIELDS.values():
        value = out.get(hashed_field)
        if isinstance(value, str):
            out[hashed_field] = value.strip().lower()
    return out


def hash_order(order: object) -> dict[str, Any] | str:
    """The order with its personal data hashed, or why it is not an order."""
    if not isinstance(order, dict):
        return f"an order is an object, not {type(order).__name__}"
    try:
        return hash_personal_data(order)
    except ValueError as exc:
        return str(exc)


def _format_utc(moment: datetime) -> str:
    """``2026-01-01T09:20:00.000Z``: UTC, milliseconds, as VTEX's examples."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def iso_utc(epoch_seconds: float) -> str:
    return _format_utc(datetime.fromtimestamp(epoch_seconds, UTC))


def build_conversion(
    hashed_order: dict[str, Any],
    *,
    user_id: str,
    session_id: str,
    now: float,
    publisher_id: str | None,
    channel: str,
) -> ConversionBody | str:
    """The body to send for an order hashed by :func:`hash_order`, or a message naming what
    is wrong (never echoing personal data)."""
    data: dict[str, Any] = {
        "channel": channel,
        "user_id": user_id,
        "session_id": session_id,
        "created_at": iso_utc(now),
    }
    if publisher_id:
        data["publisher_id"] = publisher_id
    data.update({k: v for k, v in hashed_order.items() if v is not None or k == "seller_id"})
    try:
        return ConversionBody.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(p) for p in err["loc"]) or "order"
            problems.append(f"{where}: {err['msg']}")
        return "; ".join(problems[:6])


def prepare(
    hashed_order: dict[str, Any], ids: Identity, now: float, config: ConversionSettings
) -> tuple[str, str] | str:
    """The dedup key and JSON body of a conversion, or a message naming what is wrong."""
    body = build_conversion(
        hashed_order,
        user_id=ids.user_id,
        session_id=ids.session_id,
        now=now,
        publisher_id=config.publisher_id,
        channel=config.channel,
    )
    if isinstance(body, str):
        return body
    text = body.model_dump_json(exclude_none=True)
    if len(text) > MAX_BODY_CHARS:
        return f"the order is {len(text)} characters of JSON (limit {MAX_BODY_CHARS})"
    # VTEX deduplicates conversions by order_id (30 days): so do we.
    return dedup.dedup_key("conversion", "", "", body.order_id), text
