"""The words the tracker shares with its hosts, each defined once.

They are ``Literal`` types, so pydantic validates them and values stay plain ``str``
(the browser edge hands them to JavaScript unchanged); the tuples list the same
words for code that iterates or checks membership. ``web/src/tracker.d.ts`` declares
the same unions for TypeScript; ``tests/unit/test_vocabulary.py`` pins the two together.
"""

from __future__ import annotations

from typing import Literal, get_args

# What the host reports: one VTEX Ads browser event each. The first three are reported
# by their beacon URL; a conversion by its order.
UrlEventType = Literal["click", "impression", "view"]
EventType = Literal[UrlEventType, "conversion"]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)

# The storefront's own messages read with ``data-vtex-events`` (see ``adtracker.vtex.storefront``).
PlatformEvent = Literal["vtex:orderPlaced", "vtex:orderPlacedTracked", "vtex:userData"]
PLATFORM_EVENTS: tuple[PlatformEvent, ...] = get_args(PlatformEvent)

# The commands of ``adTracker.push([name, ...])`` (see ``adtracker.commands``).
CommandName = Literal[EventType, "identify", "consent", "debug"]
COMMAND_NAMES: tuple[CommandName, ...] = get_args(CommandName)

# "pending": store and send nothing until granted; "denied": clear everything and stop.
Consent = Literal["granted", "pending", "denied"]
CONSENTS: tuple[Consent, ...] = get_args(Consent)

# Where the store's consent platform publishes the shopper's choice (``data-consent-from``):
# Google Consent Mode v2 (``dataLayer``) or the IAB TCF v2.2 API (``__tcfapi``).
ConsentSource = Literal["gcm", "tcf"]
CONSENT_SOURCES: tuple[ConsentSource, ...] = get_args(ConsentSource)

# Where the store keeps an id (``data-user-id-from``, ``data-session-id-from``): a cookie,
# a storage key, or ``vtex``, VTEX's own identifiers (see ``adtracker.ids.places``).
IdPlaceKind = Literal["cookie", "localStorage", "sessionStorage", "vtex"]
ID_PLACE_KINDS: tuple[IdPlaceKind, ...] = get_args(IdPlaceKind)
StorageArea = Literal["localStorage", "sessionStorage"]

# What became of one event, as reported to observers and debug logs:
# - sent: handed to the network; queued: kept (offline, waiting for consent, or too many
#   requests in flight);
# - delivered: a 2xx answer; rejected: an answer that says never again (4xx, redirect);
# - failed: not delivered this time and retried later (network error, 408, 429, 5xx);
# - dropped: given up (too old to resend safely, or over the outbox's bounds);
# - deduplicated: already sent in its window; refused: never accepted (bad input, consent);
# - identified: a platform event (vtex:userData) set the user id;
# - ignored: a platform event that changes nothing, or that another window or origin posted.
Outcome = Literal[
    "sent",
    "queued",
    "delivered",
    "rejected",
    "failed",
    "dropped",
    "deduplicated",
    "refused",
    "identified",
    "ignored",
]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

# The outcomes an answer (or its absence) can give a request: see ``responses``.
Verdict = Literal["delivered", "rejected", "failed"]
