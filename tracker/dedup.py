"""Client-side dedup: at most one event per (type, user_id, session_id, event URL) per window.

Each key is stored as its own small entry (``adtracker:d:<digest>`` → expiry), so the
click path reads and writes one short value, never a whole table. Pruning of
expired entries, and the cap on their number, run off the click path.
"""

from __future__ import annotations

import hashlib
import math

from tracker.keys import DEDUP_PREFIX

# Windows in seconds, as VTEX Ads deduplicates on its side (see README "Ids and dedup").
# Conversions are deduplicated by order_id.
WINDOWS: dict[str, float] = {
    "click": 3600.0,
    "impression": 60.0,
    "view": 60.0,
    "conversion": 30 * 86400.0,
}

# At most this many entries are kept; beyond it the soonest-expiring go first.
# 400 entries take about 19,000 characters of localStorage. Dropping one early can only let
# through an event the server itself deduplicates, never lose one.
MAX_ENTRIES = 400


def dedup_key(event_type: str, user_id: str, session_id: str, url: str) -> str:
    """The storage key for one (type, user, session, URL). Hashed: URLs can be long."""
    digest = hashlib.sha256(f"{event_type}\n{user_id}\n{session_id}\n{url}".encode()).hexdigest()
    return DEDUP_PREFIX + digest[:20]  # 80 bits: collisions are negligible


def is_duplicate(expiry: float | None, now: float) -> bool:
    """A stored expiry still ahead of ``now`` means the event was already sent in its window."""
    return expiry is not None and now < expiry


def expiry_for(event_type: str, at: float) -> float:
    # Whole seconds keep the stored value short; rounding down never holds back an event
    # the server would count.
    return float(math.floor(at + WINDOWS[event_type]))


def to_prune(entries: dict[str, float], now: float, max_entries: int = MAX_ENTRIES) -> list[str]:
    """Keys to delete: every expired entry, then the soonest-expiring beyond ``max_entries``."""
    expired = [k for k, exp in entries.items() if exp <= now]
    live = sorted((exp, k) for k, exp in entries.items() if exp > now)
    over = len(live) - max_entries
    return expired + [k for _, k in live[: max(over, 0)]]
