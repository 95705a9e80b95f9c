"""user_id and session_id as pure functions of (stored record, config, now).

- user_id: the host's ``data-user-id``, else an anonymous id kept in storage.
- session_id: the host's ``data-session-id``, else a generated id kept in storage
  and renewed after ``session_ttl_days`` without activity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tracker.config import TrackerConfig
from tracker.models import IdentityRecord

# Activity is written back at most this often, so the click path rarely writes ids.
TOUCH_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: str
    session_id: str


def session_expired(record: IdentityRecord, now: float, ttl_seconds: float) -> bool:
    """A generated session ends after ``ttl_seconds`` without activity (at the edge: new)."""
    return now - record.session_seen >= ttl_seconds or record.session_seen > now + 86400


def resolve(
    record: IdentityRecord | None,
    config: TrackerConfig,
    now: float,
    new_id: Callable[[], str],
) -> tuple[Identity, IdentityRecord]:
    """The ids to send now, and the record to store."""
    anon = record.anon_user_id if record else new_id()
    if record is None or session_expired(record, now, config.session_ttl_seconds):
        session = new_id()
    else:
        session = record.session_id
    updated = IdentityRecord(anon_user_id=anon, session_id=session, session_seen=now)
    return (
        Identity(user_id=config.user_id or anon, session_id=config.session_id or session),
        updated,
    )


def needs_touch(record: IdentityRecord, now: float) -> bool:
    return now - record.session_seen >= TOUCH_INTERVAL_SECONDS
