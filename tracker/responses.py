"""What a beacon's HTTP result means (pure): delivered, rejected for good, or failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from tracker.models import AjvErrors
from tracker.ports import SendResult
from tracker.retry import is_retryable

Verdict = Literal["delivered", "rejected", "failed"]

# Responses larger than this are not parsed (a hostile or broken server cannot make us
# spend memory or time on them).
MAX_PARSED_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class Classified:
    verdict: Verdict
    reason: str
    # True when the same request could succeed later (network error, 408, 429, 5xx).
    transient: bool = False


def classify(result: SendResult) -> Classified:
    status = result.status
    if result.redirected:
        return Classified(
            "rejected", "the server answered with a redirect, which is never followed"
        )
    if status is None:
        why = "timed out" if result.timed_out else f"network error: {result.error or 'no response'}"
        return Classified("failed", why, True)
    if 200 <= status < 300:
        return Classified("delivered", f"HTTP {status}")
    if status == 422:
        return Classified("rejected", f"HTTP 422: {describe_422(result.body)}")
    if is_retryable(result):
        return Classified("failed", f"HTTP {status}", True)
    return Classified("rejected", f"HTTP {status}")


def describe_422(body: str) -> str:
    """Name what VTEX Ads says is wrong, from its Ajv-style error list."""
    if len(body) > MAX_PARSED_BODY:
        return f"validation failed (response of {len(body)} bytes not parsed)"
    try:
        errors = AjvErrors.validate_json(body)
    except ValidationError:
        return "validation failed (the response is not an Ajv error list)"
    if not errors:
        return "validation failed (empty error list)"
    parts: list[str] = []
    for err in errors:
        text = err.describe()
        if text not in parts:
            parts.append(text)
    return "; ".join(parts[:5])
