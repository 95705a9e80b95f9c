"""Client-side dedup rules (pure): at most one event per (type, user_id, session_id, event
URL) per window.

Each sent event leaves a *mark*: its own small storage value (``adtracker:d:<digest>``
→ expiry), so the click path reads and writes one short value, never a whole table.
Pruning of expired marks, and the cap on their number, run off the click path
(see ``adtracker.events.marks``).
"""

from __future__ import annotations

import math

from adtracker.base.digest import sha256_hex
from adtracker.base.keys import DEDUP_DIGEST_CHARS, DEDUP_PREFIX
from adtracker.base.limits import CLICK_WINDOW_SECONDS, DAY_SECONDS, MAX_MARKS
from adtracker.base.vocabulary import EventType

# Windows in seconds, as VTEX Ads deduplicates on its side (see README "Ids and dedup").
# Conversions are deduplicated by order_id.
WINDOWS: dict[EventType, float] = {
    "click": CLICK_WINDOW_SECONDS,
    "impression": 60.0,
    "view": 60.0,
    "conversion": 30 * DAY_SECONDS,
}


def dedup_key(event_type: EventType, user_id: str, session_id: str, url: str) -> str:
    """The storage key for one (type, user, session, URL). Hashed: URLs can be long."""
    digest = sha256_hex(f"{event_type}\n{user_id}\n{session_id}\n{url}")
    return DEDUP_PREFIX + digest[:DEDUP_DIGEST_CHARS]


def is_duplicate(expiry: float | None, now: float) -> bool:
    """A mark's expiry still ahead of ``now`` means the event was already sent in its window."""
    return expiry is not None and now < expiry


def expiry_for(event_type: EventType, at: float) -> float:
    # Whole seconds keep the stored value short; rounding down never holds back an event
    # the server would count.
    return float(math.floor(at + WINDOWS[event_type]))


def to_prune(marks: dict[str, float], now: float, max_marks: int = MAX_MARKS) -> list[str]:
    """Keys to delete: every expired mark, then the soonest-expiring beyond ``max_marks``."""
    expired = [k for k, exp in marks.items() if exp <= now]
    live = sorted((exp, k) for k, exp in marks.items() if exp > now)
    over = len(live) - max_marks
    return expired + [k for _, k in live[: max(over, 0)]]
