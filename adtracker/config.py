"""The tracker's configuration: one frozen pydantic model, validated once.

In the browser it is built from the script tag's ``data-`` attributes
(:func:`config_from_attributes`); a bad value gives a clear message and falls back
to its default, so a typo never stops tracking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from adtracker.base.beacon import DEFAULT_BEACON_ORIGINS, DEFAULT_CONVERSION_URL
from adtracker.base.limits import (
    DAY_SECONDS,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
    DEFAULT_SESSION_TTL_DAYS,
)
from adtracker.base.vocabulary import Consent, ConsentSource
from adtracker.events.urls import normalize_origin
from adtracker.ids.host_id import HostId
from adtracker.ids.places import IdPlace


def _split_origins(value: object) -> object:
    if isinstance(value, str):
        return tuple(value.split())
    return value


class TrackerConfig(BaseModel):
    """Everything the tracker can be told. Every field is optional.

    Script-tag attribute → field: ``data-beacon-origins`` → ``beacon_origins``,
    ``data-user-id`` → ``user_id``, ``data-session-id`` → ``session_id``,
    ``data-debug`` → ``debug``, ``data-session-ttl-days`` → ``session_ttl_days``,
    ``data-consent`` → ``consent``, ``data-request-timeout`` → ``request_timeout``,
    ``data-conversion-url`` → ``conversion_url``, ``data-publisher-id`` → ``publisher_id``,
    ``data-channel`` → ``channel``, ``data-vtex-events`` → ``vtex_events``,
    ``data-user-id-from`` → ``user_id_from``, ``data-session-id-from`` →
    ``session_id_from``, ``data-consent-from`` → ``consent_from``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    beacon_origins: Annotated[tuple[str, ...], BeforeValidator(_split_origins)] = Field(
        default=DEFAULT_BEACON_ORIGINS,
        min_length=1,
        description="Origins that may receive beacons (allow-list). Space-separated in HTML.",
    )
    user_id: HostId | None = Field(
        default=None, description="The store's customer id; else an anonymous id is kept."
    )
    session_id: HostId | None = Field(
        default=None, description="The host's session id; else one is generated and kept."
    )
    user_id_from: IdPlace | None = Field(
        default=None,
        description="Where the store keeps its customer id: cookie:NAME, localStorage:KEY, "
        "sessionStorage:KEY, or vtex (the VTEX profile id of vtex:userData). Read at start, "
        "on route changes and before each event; user_id (or identify) still wins.",
    )
    session_id_from: IdPlace | None = Field(
        default=None,
        description="Where the store keeps its session id: cookie:NAME, localStorage:KEY, "
        "sessionStorage:KEY, or vtex (the VtexRCMacIdv7 cookie). session_id still wins.",
    )
    debug: bool = Field(default=False, description="Log every decision to the console.")
    overlay: bool = Field(
        default=False,
        description="Draw on the page, beside each ad, what the tracker decided (QA): "
        'data-debug="overlay", or ?adtracker-debug=overlay in the page\'s URL, which also '
        "turns debug on.",
    )
    consent: Consent = Field(
        default="granted",
        description='"pending": store and send nothing until granted; "denied": clear and stop.',
    )
    consent_from: ConsentSource | None = Field(
        default=None,
        description='"gcm" (Google Consent Mode v2\'s ad_storage) or "tcf" (IAB TCF v2.2, '
        "purposes 1 and 7): the store's consent platform decides; consent is then ignored "
        "and the tracker is pending until the platform answers.",
    )
    conversion_url: str = Field(
        default=DEFAULT_CONVERSION_URL,
        min_length=1,
        max_length=2048,
        description="Where conversions are POSTed; subject to the allow-list.",
    )
    publisher_id: HostId | None = Field(
        default=None, description="Your VTEX Ads publisher id, sent with conversions."
    )
    channel: str = Field(
        default="ecommerce",
        min_length=1,
        max_length=64,
        description="Conversion channel: ecommerce, app, physical_store…",
    )
    request_timeout: float = Field(
        default=DEFAULT_REQUEST_TIMEOUT_SECONDS,
        ge=1,
        le=60,
        description="Seconds before a beacon request is aborted (and retried) as timed out.",
    )
    vtex_events: bool = Field(
        default=False,
        description="Turn VTEX's storefront events (vtex:orderPlaced, vtex:userData) into "
        "conversions and identity (see adtracker.vtex.storefront).",
    )
    session_ttl_days: float = Field(
        default=DEFAULT_SESSION_TTL_DAYS,
        gt=0,
        le=3650,
        description="A generated session id is renewed after this many days without activity.",
    )

    @field_validator("beacon_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for raw in value:
            origin = normalize_origin(raw)
            if origin is None:
                raise ValueError(
                    f"{raw!r} is not an origin: write scheme://host[:port] with no path, "
                    "e.g. https://events.newtail-media.newtail.com.br"
                )
            if origin not in out:
                out.append(origin)
        return tuple(out)

    @property
    def session_ttl_seconds(self) -> float:
        return self.session_ttl_days * DAY_SECONDS


# Script-tag attribute names (without "data-") mapped to config fields.
ATTRIBUTES: dict[str, str] = {
    "beacon-origins": "beacon_origins",
    "user-id": "user_id",
    "session-id": "session_id",
    "debug": "debug",
    "session-ttl-days": "session_ttl_days",
    "consent": "consent",
    "request-timeout": "request_timeout",
    "conversion-url": "conversion_url",
    "publisher-id": "publisher_id",
    "channel": "channel",
    "vtex-events": "vtex_events",
    "user-id-from": "user_id_from",
    "session-id-from": "session_id_from",
    "consent-from": "consent_from",
}
#: ``data-debug="overlay"`` (or ``?adtracker-debug=overlay``): debug, and the QA overlay.
OVERLAY_WORD = "overlay"
#: The page URL's query parameter that sets ``data-debug`` for one QA session on a live store.
DEBUG_QUERY = "adtracker-debug"
# Boolean attributes: present means true, "false"/"0"/"no"/"off" mean false.
_BOOLEAN_FIELDS = frozenset({"debug", "overlay", "vtex_events"})


# Text attributes where an empty value means "not given".
_OPTIONAL_TEXT_FIELDS = frozenset(
    {"user_id", "session_id", "user_id_from", "session_id_from", "consent_from"}
)
_FALSE_WORDS = {"false", "0", "no", "off"}
# data- attributes a host may put on the script tag for other reasons.
_IGNORED_ATTRIBUTES = frozenset(
    {"cfasync", "turbo-track", "turbolinks-track", "pagespeed-no-defer"}
)


def _attribute_value(field: str, raw: object) -> object:
    """HTML attributes are strings; a present boolean attribute means true."""
    if field in _BOOLEAN_FIELDS and isinstance(raw, str):
        return raw.strip().lower() not in _FALSE_WORDS
    if field in _OPTIONAL_TEXT_FIELDS and isinstance(raw, str) and raw.strip() == "":
        return None  # an empty attribute means "not given"
    if field in ("consent", "consent_from") and isinstance(raw, str):
        return raw.strip().lower()
    return raw


def debug_from_query(search: str) -> str | None:
    """The ``data-debug`` value a page URL's query asks for (``?adtracker-debug=overlay``;
    empty means on), or None when it does not name the parameter. The last one wins."""
    pairs = parse_qsl(search.removeprefix("?"), keep_blank_values=True)
    asked = [value for name, value in pairs if name == DEBUG_QUERY]
    if not asked:
        return None
    return asked[-1] or "true"


def config_from_attributes(attributes: Mapping[str, Any]) -> tuple[TrackerConfig, list[str]]:
    """Build the config from ``data-`` attributes (names without the ``data-`` prefix,
    e.g. ``beacon-origins``) or from field names (``beacon_origins``), as Python callers use.

    Returns the config and a list of human-readable problems. Each bad value is
    dropped (its default applies) and reported; unknown names are reported too.
    """
    problems: list[str] = []
    values: dict[str, object] = {}
    labels: dict[str, str] = {}
    for name, raw in attributes.items():
        field = ATTRIBUTES.get(name) or (name if name in TrackerConfig.model_fields else None)
        if field is None:
            if name not in _IGNORED_ATTRIBUTES:
                problems.append(f"unknown setting {name!r} ignored")
            continue
        labels[field] = f"data-{name}" if name in ATTRIBUTES else name
        values[field] = _attribute_value(field, raw)
        if field == "debug" and isinstance(raw, str) and raw.strip().lower() == OVERLAY_WORD:
            values["overlay"] = True
    values = {k: v for k, v in values.items() if v is not None}
    while True:
        try:
            return TrackerConfig.model_validate(values), problems
        except ValidationError as exc:
            bad_fields = set()
            for err in exc.errors(include_url=False):
                field = str(err["loc"][0]) if err["loc"] else ""
                shown = values.get(field)
                problems.append(
                    f"{labels.get(field, field)}={shown!r} ignored: {err['msg']}; "
                    f"using the default {TrackerConfig.model_fields[field].default!r}"
                    if field in TrackerConfig.model_fields
                    else f"config: {err['msg']}"
                )
                bad_fields.add(field)
            if not bad_fields & values.keys():  # cannot make progress: defaults only
                return TrackerConfig(), problems
            for field in bad_fields:
                values.pop(field, None)
