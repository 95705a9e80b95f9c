"""user_id and session_id as pure functions of (stored record, config, ids found, now).

- user_id: the host's ``data-user-id``, else the id read from ``data-user-id-from``,
  else an anonymous id kept in storage.
- session_id: the host's ``data-session-id``, else the id read from
  ``data-session-id-from``, else a generated id kept in storage and renewed after
  ``session_ttl_days`` without activity. (See :func:`adtracker.ids.places.choose`.)

:class:`IdentityKeeper` keeps the ids in use and their stored record (``adtracker:ids``),
and reads the named places when the tracker starts, on route changes and before events.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from adtracker.base import keys
from adtracker.base.limits import MAX_CLOCK_SKEW_SECONDS, MAX_OWN_ID_LENGTH
from adtracker.base.ports import Scheduler
from adtracker.base.store import Store
from adtracker.ids.places import NOTHING, Found, PlacedIds, choose

# Activity is written back at most this often, so the click path rarely writes ids.
TOUCH_INTERVAL_SECONDS = 60.0


class IdSettings(Protocol):
    """What the ids depend on in the tracker's configuration (``TrackerConfig`` has it)."""

    @property
    def user_id(self) -> str | None: ...
    @property
    def session_id(self) -> str | None: ...
    @property
    def session_ttl_seconds(self) -> float: ...


class Uuid4Source:
    """The browser's id source. Python's ``uuid4`` draws from ``os.urandom``, which Pyodide
    backs with the browser's ``crypto.getRandomValues``."""

    def new_id(self) -> str:
        return str(uuid.uuid4())


class IdentityRecord(BaseModel):
    """``adtracker:ids``: the generated ids and when the session was last active."""

    model_config = ConfigDict(extra="ignore")

    anon_user_id: str = Field(min_length=1, max_length=MAX_OWN_ID_LENGTH)
    session_id: str = Field(min_length=1, max_length=MAX_OWN_ID_LENGTH)
    session_seen: float = Field(ge=0)


class EventBody(BaseModel):
    """Body of a click/impression/view beacon. We always send both ids (VTEX's clicks guide)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str = Field(min_length=1)
    session_id: str = Field(min_length=1)


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


def identity_of(config: IdSettings, found: Found, record: IdentityRecord) -> Identity:
    """The ids sent: the host's, else the ones found in their places, else our own."""
    return Identity(
        user_id=choose(config.user_id, found.user_id, record.anon_user_id),
        session_id=choose(config.session_id, found.session_id, record.session_id),
    )


def resolve(
    record: IdentityRecord | None,
    config: IdSettings,
    now: float,
    new_id: Callable[[], str],
    found: Found = NOTHING,
) -> tuple[Identity, IdentityRecord]:
    """The ids to send now, and the record to store."""
    anon = record.anon_user_id if record else new_id()
    if record is None or session_expired(record, now, config.session_ttl_seconds):
        session = new_id()
    else:
        session = record.session_id
    updated = IdentityRecord(anon_user_id=anon, session_id=session, session_seen=now)
    return identity_of(config, found, updated), updated


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
        places: PlacedIds,
    ) -> None:
        self._store = store
        self._new_id = new_id
        self._scheduler = scheduler
        self._granted = granted
        self._places = places
        self._record: IdentityRecord | None = None
        self._found = NOTHING  # what the named places held when the ids were last made
        self.current: Identity | None = None
        self.body = ""  # EventBody JSON for the current ids

    def resolve(self, config: IdSettings, now: float) -> Identity:
        """Read the places and the stored record, renew what expired, and store it back."""
        self._found = self._places.read(config.user_id, config.session_id)
        stored = self._store.read(keys.IDS, IdentityRecord)
        self.current, self._record = resolve(stored, config, now, self._new_id, self._found)
        self._make_body()
        self._store.write(keys.IDS, self._record)
        return self.current

    def _make_body(self) -> None:
        assert self.current is not None
        self.body = EventBody(
            user_id=self.current.user_id, session_id=self.current.session_id
        ).model_dump_json()

    def for_event(self, config: IdSettings, now: float) -> Identity:
        """The ids for an event now: the places read again (cheap when nothing changed), a
        new session after the TTL; activity noted off the path."""
        record = self._record
        if record is None or session_expired(record, now, config.session_ttl_seconds):
            return self.resolve(config, now)
        found = self._places.read(config.user_id, config.session_id)
        if found is not self._found and found != self._found:  # e.g. the shopper logged in
            self._found = found
            self.current = identity_of(config, found, record)
            self._make_body()
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
