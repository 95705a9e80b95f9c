"""When the server is back (pure): the outbox's waiting events are brought forward.

A failed event waits out its backoff (``retry.backoff_delay``): after many failures up
to ``retry.MAX_DELAY_SECONDS``. Once the collector answers again that wait protects
nobody, and a shopper who leaves meanwhile takes the events away until a later visit. So:

- **An outage** is ``OUTAGE_FAILURES`` failed answers in a row from one origin, with no
  answer between (kept per origin in storage, ``adtracker:h:<origin>``, so tabs and the
  next page view share it). One event failing alone while others are delivered is that
  event's own trouble: it keeps its backoff, and cannot make every success bring it
  forward again.
- **The first answer after an outage** (2xx, or any final 4xx: the server is answering)
  brings every waiting event of that origin forward, and so does the browser's
  ``online`` event, for every origin. The ``i``-th oldest of ``n`` waiting events is due
  at ``now + (i + rand) × spread / n``, with ``spread = min(MAX_SPREAD, n × SPACING)``:
  soon, oldest first (the nearest to the end of its dedup window), and spread out, so a
  server that just came back is not met by a burst.
- **Retry-After still wins**: an event the server told to come back later
  (``not_before``) is never due before that.
- **An answer already on its way**: an attempt sent before the origin came back whose
  failure arrives afterwards belonged to the outage. It waits at most one recovery slot
  (``rand × MAX_SPREAD``), not its backoff, and does not count towards a new outage.

One attempt per event at a time still holds (the sender never touches a leased entry and
brings events forward under the same cross-tab lock as a flush), and so do VTEX's dedup
windows: a resend is still allowed only by ``retry.resend_allowed``, when it is sent.

The drain bound that follows: once the server answers, every event that waited is
attempted within ``MAX_SPREAD`` (and a flush's lateness), and answered within its
attempt timeout (``in_flight.attempt_timeout``): :func:`drain_bound`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from adtracker.delivery.in_flight import attempt_timeout
from adtracker.delivery.outbox import OutboxEntry

OUTAGE_FAILURES = 2
#: Each waiting event gets a slot this long, up to MAX_SPREAD for all of them.
SPACING_SECONDS = 0.1
MAX_SPREAD_SECONDS = 5.0
#: How late the flush that sends a due event may run: the retry timer fires a task or more
#: late on a busy page, and a flush may wait for another tab's, which keeps the cross-tab
#: lock a little after its last write (browser/platform.py's LOCK_SETTLE_MS).
FLUSH_LATENESS_SECONDS = 1.0


class OriginHealth(BaseModel):
    """``adtracker:h:<origin>``: failed answers in a row, and when the origin came back."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    f: int = Field(default=0, ge=0, description="failed answers in a row")
    r: float = Field(default=0.0, ge=0, description="when it last came back, epoch seconds")


HEALTHY = OriginHealth()


def late(health: OriginHealth, sent_at: float) -> bool:
    """Was this attempt sent before the origin last came back (its failure is the outage's)?"""
    return sent_at < health.r


def after_failure(health: OriginHealth, sent_at: float) -> OriginHealth:
    """The origin's health after a failed answer to an attempt sent at ``sent_at``."""
    if late(health, sent_at):
        return health
    return health.model_copy(update={"f": health.f + 1})


def after_answer(health: OriginHealth, now: float) -> tuple[OriginHealth, bool]:
    """The origin's health after it answered (2xx or a final 4xx), and whether that ends
    an outage (the waiting events are then brought forward)."""
    recovered = health.f >= OUTAGE_FAILURES
    if recovered:
        return OriginHealth(f=0, r=now), True
    return (health if health.f == 0 else health.model_copy(update={"f": 0})), False


def spread(n: int) -> float:
    """Seconds over which ``n`` waiting events are brought forward."""
    return min(MAX_SPREAD_SECONDS, n * SPACING_SECONDS)


def late_delay(rand: float) -> float:
    """The wait of an attempt that failed late (see the module's rule)."""
    return max(0.0, min(rand, 1.0)) * MAX_SPREAD_SECONDS


@dataclass(frozen=True, slots=True)
class BroughtForward:
    entry: OutboxEntry
    next_at: float


def bring_forward(
    entries: list[OutboxEntry], now: float, rand: Callable[[], float]
) -> list[BroughtForward]:
    """The waiting entries (not leased, due later) and when each is due now: oldest first,
    each in its own jittered slot of the spread, never before its ``not_before``."""
    waiting = sorted(
        (e for e in entries if e.lease_until <= now and e.next_at > now),
        key=lambda e: (e.created, e.id),
    )
    width = spread(len(waiting)) / len(waiting) if waiting else 0.0
    out = []
    for i, entry in enumerate(waiting):
        slot = now + (i + max(0.0, min(rand(), 1.0))) * width
        due = max(slot, entry.not_before)
        if due < entry.next_at:
            out.append(BroughtForward(entry, due))
    return out


def drain_bound(waiting: int, request_timeout: float) -> float:
    """Seconds after the server answers again within which ``waiting`` events that waited
    are attempted and answered (if it keeps answering): the spread, a flush's lateness,
    and the attempt timeout of the last one, with all the others still in flight."""
    return spread(waiting) + FLUSH_LATENESS_SECONDS + attempt_timeout(request_timeout, waiting)
