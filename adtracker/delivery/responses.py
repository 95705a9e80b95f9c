"""What a beacon's result means (pure): one decision per result, like analytics-next's
``getStatusBehavior``.

- delivered: a 2xx answer.
- rejected: a final answer (a redirect, 422 or any other 4xx); never sent again.
- failed: no answer, or 408, 429 or 5xx; the same request could succeed later, so it
  is retried (within ``retry.resend_allowed``).

And whether the attempt *may have reached* the server: everything may, except an
answer that says the request was not processed at all (408, 429, 503).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from adtracker.base.limits import MAX_RESPONSE_CHARS
from adtracker.base.ports import SendResult
from adtracker.base.vocabulary import Verdict


class AjvError(BaseModel):
    """One entry of VTEX's 422 answer (Ajv's error format)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    instance_path: str = Field(default="", alias="instancePath")
    schema_path: str = Field(default="", alias="schemaPath")
    keyword: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    message: str = ""

    def describe(self) -> str:
        missing = self.params.get("missingProperty")
        if isinstance(missing, str):
            where = self.instance_path or "the body"
            return f"missing property {missing!r} in {where}"
        where = self.instance_path or "body"
        return f"{where}: {self.message or self.keyword}"


AjvErrors: TypeAdapter[list[AjvError]] = TypeAdapter(list[AjvError])

# Answers that say the request was not processed at all.
_NOT_PROCESSED = frozenset({408, 429, 503})
_FAILED_STATUSES = frozenset({408, 429})  # and every 5xx


@dataclass(frozen=True, slots=True)
class StatusBehavior:
    verdict: Verdict
    reason: str
    # Could the server have counted this attempt?
    may_have_reached: bool

    @property
    def retry(self) -> bool:
        """Send it again later: only a failed attempt is retried."""
        return self.verdict == "failed"


def status_behavior(result: SendResult) -> StatusBehavior:
    """The verdict on one result, whether to retry it, and whether it may have been counted."""
    status = result.status
    if result.redirected:
        why = "the server answered with a redirect, which is never followed"
        return StatusBehavior("rejected", why, may_have_reached=True)
    if status is None:
        why = "timed out" if result.timed_out else f"network error: {result.error or 'no response'}"
        # a network error or timeout may come after the server got the body
        return StatusBehavior("failed", why, may_have_reached=True)
    reached = status not in _NOT_PROCESSED
    if 200 <= status < 300:
        return StatusBehavior("delivered", f"HTTP {status}", reached)
    if status == 422:
        return StatusBehavior("rejected", f"HTTP 422: {describe_422(result.body)}", reached)
    if status in _FAILED_STATUSES or status >= 500:
        return StatusBehavior("failed", f"HTTP {status}", reached)
    return StatusBehavior("rejected", f"HTTP {status}", reached)


def describe_422(body: str) -> str:
    """Name what VTEX Ads says is wrong, from its Ajv-style error list."""
    if len(body) > MAX_RESPONSE_CHARS:
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
