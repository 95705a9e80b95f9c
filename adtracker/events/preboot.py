"""Clicks the JS loader (``web/src/tracker.js``) recorded before Python ran
(``adtracker:preboot``): read, checked and aged here; the tracker sends them under the
usual rules.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adtracker.base import keys
from adtracker.base.limits import HOUR_SECONDS, MAX_EVENT_AGE_SECONDS
from adtracker.base.ports import Log
from adtracker.base.store import Store


class PrebootClick(BaseModel):
    """One click the JavaScript loader recorded before Python was ready (``adtracker:preboot``)."""

    model_config = ConfigDict(extra="ignore")

    u: str = Field(description="data-ad-click-url, verbatim")
    t: float = Field(ge=0, description="click time, epoch milliseconds")


def take_stored(store: Store, log: Log) -> list[object]:
    """The queue the loader stored (``adtracker:preboot``), removed from storage."""
    raw = store.raw_get(keys.PREBOOT)
    if raw is None:
        return []
    store.remove(keys.PREBOOT)
    return parse_queue(raw, log)


def parse_queue(raw: str, log: Log) -> list[object]:
    """The stored queue's items; a queue that is not a JSON list is discarded."""
    try:
        items = json.loads(raw)
    except ValueError:
        log.debug(f"discarded the pre-boot click queue: not JSON ({len(raw)} characters)")
        return []
    if not isinstance(items, list):
        log.debug("discarded the pre-boot click queue: not a list")
        return []
    return items


def clicks_to_send(items: list[object], now: float, log: Log) -> list[tuple[str, float]]:
    """(click URL, click time) of each valid item not older than ``MAX_EVENT_AGE_SECONDS``.

    A click within that age is still sent by a later page load; older ones are dropped.
    """
    out: list[tuple[str, float]] = []
    for item in items:
        try:
            click = PrebootClick.model_validate(item)
        except ValidationError as exc:
            log.debug(f"discarded a pre-boot click: {exc.errors(include_url=False)[0]['msg']}")
            continue
        at = min(click.t / 1000.0, now)
        if now - at > MAX_EVENT_AGE_SECONDS:
            age = f"{MAX_EVENT_AGE_SECONDS / HOUR_SECONDS:g} h"
            log.debug(f"dropped a pre-boot click older than {age}: {click.u[:200]}")
            continue
        out.append((click.u, at))
    return out
