"""Retry policy (pure): how long to wait before a failed event is sent again, and when
a resend is no longer safe. Which results failed (and are retried) is decided in
``responses.status_behavior``.

- Wait: exponential backoff with full jitter (``rand × min(cap, base × 2^attempt)``),
  or the server's ``Retry-After`` when it sends one (clamped). When the server answers
  again after an outage, the waiting events are brought forward (``recovery``), but
  never before a ``Retry-After``.
- Safe to resend: an event whose earlier attempt *may* have reached the server is
  resent only inside the platform's dedup window for its type, where a duplicate is
  absorbed by the server; later it is dropped, because a late resend could
  double-count. An event that certainly never reached the server (queued offline, or
  answered 408/429/503) may be sent until it is ``MAX_EVENT_AGE_SECONDS`` old.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from adtracker.base.limits import HOUR_SECONDS, MAX_EVENT_AGE_SECONDS
from adtracker.base.ports import SendResult
from adtracker.base.vocabulary import EventType
from adtracker.events.dedup import WINDOWS

BASE_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 300.0
MAX_RETRY_AFTER_SECONDS = HOUR_SECONDS
# Only these answers' Retry-After is honoured (both say "not processed, come back later").
_RETRY_AFTER_STATUSES = frozenset({429, 503})


def backoff_delay(attempt: int, rand: float) -> float:
    """Full jitter: uniform in [0, min(cap, base × 2^attempt)). ``attempt`` counts from 1."""
    exponent = min(max(attempt - 1, 0), 30)
    return max(0.0, min(rand, 1.0)) * min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2**exponent)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), clamped."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            seconds = parsedate_to_datetime(text).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


#: Said once per page, in debug mode, when a 429/503 gives no Retry-After it can read.
RETRY_AFTER_UNREADABLE = (
    "the collector answered {status} without a Retry-After the tracker can read: retrying "
    "with backoff instead. A cross-origin fetch sees that header only when the server also "
    "sends Access-Control-Expose-Headers: Retry-After"
)


def retry_after_unreadable(result: SendResult, now: float) -> bool:
    """A 429/503 whose Retry-After is missing (not sent, or not exposed by CORS) or
    unparseable: the wait falls back to backoff."""
    honoured = result.status in _RETRY_AFTER_STATUSES
    return honoured and parse_retry_after(result.retry_after, now) is None


def server_delay(result: SendResult, now: float) -> float | None:
    """The wait the server asked for (a readable Retry-After on a 429/503), if any."""
    if result.status not in _RETRY_AFTER_STATUSES:
        return None
    return parse_retry_after(result.retry_after, now)


def next_delay(result: SendResult, attempt: int, rand: float, now: float) -> float:
    """The server's Retry-After when it sent one, else the backoff for ``attempt``."""
    after = server_delay(result, now)
    return after if after is not None else backoff_delay(attempt, rand)


def resend_allowed(
    event_type: EventType, created: float, maybe_reached: bool, now: float
) -> tuple[bool, str]:
    """May an event created at ``created`` be (re)sent now?"""
    age = now - created
    if maybe_reached:
        window = WINDOWS[event_type]
        if age >= window:
            return False, (
                f"an earlier attempt may have reached the server and its {event_type} dedup "
                f"window ({window:g} s) has passed: a resend could double-count"
            )
        return True, ""
    if age >= MAX_EVENT_AGE_SECONDS:
        return False, f"older than {MAX_EVENT_AGE_SECONDS / HOUR_SECONDS:g} h"
    return True, ""
