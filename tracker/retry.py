"""Retry policy (pure): which failures are retried, how long to wait, and when a
resend is no longer safe.

- Retried: network errors, timeouts, 408, 429 and 5xx. Everything else is final.
- Wait: exponential backoff with full jitter (``rand × min(cap, base × 2^attempt)``),
  or the server's ``Retry-After`` when it sends one (clamped).
- Safe to resend: an event whose earlier attempt *may* have reached the server is
  resent only inside the platform's dedup window for its type, where a duplicate is
  absorbed by the server; later it is dropped, because a late resend could
  double-count. An event that certainly never reached the server (queued offline, or
  answered 408/429/503) may be sent until it is ``MAX_AGE_SECONDS`` old.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from tracker.dedup import WINDOWS
from tracker.ports import SendResult

BASE_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 300.0
MAX_RETRY_AFTER_SECONDS = 3600.0
# An event never known to have reached the server is kept this long at most.
MAX_AGE_SECONDS = 24 * 3600.0

# Answers that say the request was not processed at all.
_NOT_PROCESSED = frozenset({408, 429, 503})


def is_retryable(result: SendResult) -> bool:
    status = result.status
    if result.redirected:
        return False
    if status is None:
        return True  # network error or timeout
    return status in (408, 429) or status >= 500


def may_have_reached(result: SendResult) -> bool:
    """Could the server have counted this attempt?"""
    if result.status is None:
        return True  # a network error or timeout may come after the server got the body
    return result.status not in _NOT_PROCESSED


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


def next_delay(result: SendResult, attempt: int, rand: float, now: float) -> float:
    honoured = result.status in (429, 503)
    after = parse_retry_after(result.retry_after, now) if honoured else None
    return after if after is not None else backoff_delay(attempt, rand)


def resend_allowed(
    event_type: str, created: float, maybe_reached: bool, now: float
) -> tuple[bool, str]:
    """May an event created at ``created`` be (re)sent now?"""
    age = now - created
    if maybe_reached:
        window = WINDOWS.get(event_type, 0.0)
        if age >= window:
            return False, (
                f"an earlier attempt may have reached the server and its {event_type} dedup "
                f"window ({window:g} s) has passed: a resend could double-count"
            )
        return True, ""
    if age >= MAX_AGE_SECONDS:
        return False, f"older than {MAX_AGE_SECONDS / 3600:g} h"
    return True, ""
