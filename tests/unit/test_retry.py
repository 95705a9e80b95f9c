import pytest

from adtracker.base.limits import MAX_EVENT_AGE_SECONDS
from adtracker.base.ports import SendResult
from adtracker.delivery.retry import (
    MAX_DELAY_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    backoff_delay,
    next_delay,
    parse_retry_after,
    resend_allowed,
    retry_after_unreadable,
)

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("attempt", "rand", "delay"),
    [
        (1, 1.0, 1.0),
        (1, 0.5, 0.5),
        (2, 1.0, 2.0),
        (3, 0.25, 1.0),
        (9, 1.0, 256.0),
        (10, 1.0, MAX_DELAY_SECONDS),  # capped
        (1000, 1.0, MAX_DELAY_SECONDS),
        (5, 0.0, 0.0),  # full jitter reaches zero
        (0, 1.0, 1.0),
        (3, 7.0, 4.0),  # rand is clamped to [0, 1]
    ],
)
def test_backoff_full_jitter(attempt: int, rand: float, delay: float) -> None:
    assert backoff_delay(attempt, rand) == pytest.approx(delay)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("999999", MAX_RETRY_AFTER_SECONDS),
        ("Fri, 15 Jan 2027 08:00:30 GMT", None),  # computed below
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    if header and "GMT" in header:
        from email.utils import parsedate_to_datetime

        target = parsedate_to_datetime(header).timestamp()
        assert parse_retry_after(header, target - 30) == pytest.approx(30.0)
        assert parse_retry_after(header, target + 30) == 0.0
        return
    assert parse_retry_after(header, NOW) == seconds


def test_next_delay_honours_retry_after_on_429_and_503_only() -> None:
    assert next_delay(SendResult(429, retry_after="30"), 1, 1.0, NOW) == 30.0
    assert next_delay(SendResult(503, retry_after="12"), 1, 1.0, NOW) == 12.0
    assert next_delay(SendResult(500, retry_after="30"), 1, 1.0, NOW) == 1.0
    assert next_delay(SendResult(429), 3, 1.0, NOW) == 4.0
    assert next_delay(SendResult(429, retry_after="garbage"), 2, 0.5, NOW) == 1.0


@pytest.mark.parametrize(
    ("event_type", "age", "maybe_reached", "allowed"),
    [
        ("click", 3599, True, True),
        ("click", 3600, True, False),  # a resend now could double-count
        ("impression", 59, True, True),
        ("impression", 60, True, False),
        ("view", 61, True, False),
        ("conversion", 29 * 86400, True, True),
        ("click", 3600 * 5, False, True),  # never reached the server: still safe
        ("impression", MAX_EVENT_AGE_SECONDS - 1, False, True),
        ("impression", MAX_EVENT_AGE_SECONDS, False, False),
    ],
)
def test_resend_window(event_type: str, age: float, maybe_reached: bool, allowed: bool) -> None:
    ok, why = resend_allowed(event_type, NOW - age, maybe_reached, NOW)
    assert ok is allowed
    assert (why == "") is allowed


@pytest.mark.parametrize(
    ("status", "header", "unreadable"),
    [
        (429, None, True),  # not sent, or not exposed (Access-Control-Expose-Headers)
        (503, None, True),
        (503, "soon", True),  # unparseable
        (429, "30", False),
        (503, "Wed, 21 Oct 2026 07:28:00 GMT", False),
        (500, None, False),  # Retry-After is honoured on 429/503 only
        (408, None, False),
        (None, None, False),  # a network error
    ],
)
def test_retry_after_unreadable(status: int | None, header: str | None, unreadable: bool) -> None:
    assert retry_after_unreadable(SendResult(status, retry_after=header), NOW) is unreadable
