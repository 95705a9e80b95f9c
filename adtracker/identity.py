"""user_id and session_id as pure functions of (stored record, config, now).

- user_id: the host's ``data-user-id``, else an anonymous id kept in storage.
- session_id: the host's ``data-session-id``, else a generated id kept in storage
  and renewed after ``session_ttl_days`` without activity.

:class:`IdentityKeeper` keeps the ids in use and their stored record (``adtracker:ids``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adtracker import keys
from adtracker.config import TrackerConfig
from adtracker.limits import MAX_CLOCK_SKEW_SECONDS
from adtracker.models import EventBody, IdentityRecord
from adtracker.ports import Scheduler
from adtracker.store import Store

# Activity is written back at most this often, so the click path rarely writes ids.
TOUCH_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: str
    session_id: str


def session_expired(record: IdentityRecord, now: float, ttl_seconds: float) -> bool:
    """A generated session ends after ``ttl_seconds`` without activity (at the edge: new)."""
    return (
        now - record.session_seen >= ttl_seconds
        or record.session_seen > now + MAX_CLOCK_SKEW_SECONDS
    )


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


class IdentityKeeper:
    """The ids in use, the click/impression/view body that carries them, and their record."""

    def __init__(
        self,
        store: Store,
        new_id: Callable[[], str],
        scheduler: Scheduler,
        granted: Callable[[], bool],
    ) -> None:
        self._store = store
        self._new_id = new_id
        self._scheduler = scheduler
        self._granted = granted
        self._record: IdentityRecord | None = None
        self.current: Identity | None = None
        self.body = ""  # EventBody JSON for the current ids

    def resolve(self, config: TrackerConfig, now: float) -> Identity:
        """Read the stored record, renew what expired, and store it back."""
        stored = self._store.read(keys.IDS, IdentityRecord)
        self.current, self._record = resolve(stored, config, now, self._new_id)
        self.body = EventBody(
            user_id=self.current.user_id, session_id=self.current.session_id
        ).model_dump_json()
        self._store.write(keys.IDS, self._record)
        return self.current

    def for_event(self, config: TrackerConfig, now: float) -> Identity:
        """The ids for an event now: a new session after the TTL; activity noted off the path."""
        record = self._record
        if record is None or session_expired(record, now, config.session_ttl_seconds):
            return self.resolve(config, now)
        if needs_touch(record, now):
            self._record = record.model_copy(update={"session_seen": now})
            self._scheduler.soon(self._write_record)
        assert self.current is not None
        return self.current

    def forget(self) -> None:
        self.current = None
        self._record = None

    def _write_record(self) -> None:
        if self._record is not None and self._granted():
            self._store.write(keys.IDS, self._record)
