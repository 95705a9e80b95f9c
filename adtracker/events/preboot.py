"""The queue the JS loader (``web/src/tracker.js``) kept before Python ran
(``adtracker:preboot``): ad clicks (``{"u": url, "t": epoch ms}``) and the ads it
watched (``events.preboot_ads``), read, checked and aged here; the tracker sends what
follows from them under the usual rules.

A click the loader sent itself (``web/src/click.js``: ``"o"``, its outbox entry's id) is
not sent again: the outbox has it, and the tracker only reports it (:func:`loader_sent`).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adtracker.base import keys
from adtracker.base.limits import HOUR_SECONDS, MAX_EVENT_AGE_SECONDS
from adtracker.base.ports import Log
from adtracker.base.store import Store
from adtracker.base.vocabulary import Outcome, UrlEventType
from adtracker.events.preboot_ads import PrebootAd, ad_events


class PrebootClick(BaseModel):
    """One click the JavaScript loader recorded before Python was ready (``adtracker:preboot``)."""

    model_config = ConfigDict(extra="ignore")

    u: str = Field(description="data-ad-click-url, verbatim")
    t: float = Field(ge=0, description="click time, epoch milliseconds")
    o: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="the outbox entry of the loader's own attempt (it sent the click)",
    )


def take_stored(store: Store, log: Log) -> list[object]:
    """The queue the loader stored (``adtracker:preboot``), removed from storage.

    All of it, a page still open in another tab included: its own Python, or its next
    write, brings its records back, and the dedup marks keep what was sent from being sent
    again (``events.preboot_ads``)."""
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
        log.debug(f"discarded the pre-boot queue: not JSON ({len(raw)} characters)")
        return []
    if not isinstance(items, list):
        log.debug("discarded the pre-boot queue: not a list")
        return []
    return items


def _too_old(what: str, url: str, at: float, now: float, log: Log) -> bool:
    if now - at <= MAX_EVENT_AGE_SECONDS:
        return False
    age = f"{MAX_EVENT_AGE_SECONDS / HOUR_SECONDS:g} h"
    log.debug(f"dropped a pre-boot {what} older than {age}: {url[:200]}")
    return True


def events_to_send(
    items: list[object], now: float, log: Log, *, live: bool
) -> list[tuple[UrlEventType, str, float]]:
    """(event type, URL, time) of what the queue's valid items give, each not older than
    ``MAX_EVENT_AGE_SECONDS``: its clicks, and the impressions and views of its ads
    (``live``: the ads were watched on this page, which is still open)."""
    out: list[tuple[UrlEventType, str, float]] = []
    for item in items:
        is_ad = isinstance(item, dict) and "g" in item
        try:
            if is_ad:
                found = ad_events(PrebootAd.model_validate(item), now, live=live)
            else:
                click = PrebootClick.model_validate(item)
                if click.o is not None:
                    continue  # the loader sent it: loader_sent()
                found = [("click", click.u, min(click.t / 1000.0, now))]
        except ValidationError as exc:
            what = "ad" if is_ad else "click"
            log.debug(f"discarded a pre-boot {what}: {exc.errors(include_url=False)[0]['msg']}")
            continue
        out += [e for e in found if not _too_old(e[0], e[1], e[2], now, log)]
    return out


#: What became of a click the loader sent itself before Python was ready.
LOADER_DELIVERED = "sent by the loader before ready, and answered"
LOADER_SENT = "sent by the loader before ready; the outbox sends it again if no 2xx comes"


def loader_sent(
    items: list[object], entry_of: Callable[[str], object | None]
) -> list[tuple[str, Outcome, str]]:
    """(URL, outcome, reason) of each valid click the loader sent itself. ``entry_of(id)``:
    its outbox entry, None once answered (the loader removes it on a 2xx)."""
    out: list[tuple[str, Outcome, str]] = []
    for item in items:
        if not isinstance(item, dict) or "g" in item or item.get("o") is None:
            continue
        try:
            click = PrebootClick.model_validate(item)
        except ValidationError:
            continue  # events_to_send() says why
        assert click.o is not None
        if entry_of(click.o) is None:
            out.append((click.u, "delivered", LOADER_DELIVERED))
        else:
            out.append((click.u, "sent", LOADER_SENT))
    return out
