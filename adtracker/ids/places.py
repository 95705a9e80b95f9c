"""Host ids read from where the store keeps them (``data-user-id-from``,
``data-session-id-from``), as VTEX's transparent-integration and Script Agent guides ask.

A place is ``cookie:NAME``, ``localStorage:KEY``, ``sessionStorage:KEY`` or ``vtex``:

- ``vtex`` for ``session_id`` is the ``VtexRCMacIdv7`` cookie: VTEX's persistent
  per-device Request Capture id, which VTEX's own ``vtex-apps/vtex-ads`` sends as
  ``session_id`` (VTEX Ads wants a session id stable for 14 days; ``VtexRCSessionIdv7``
  is a browsing session, so it is not used);
- ``vtex`` for ``user_id`` is the shopper's VTEX profile id from ``vtex:userData``, as
  ``data-vtex-events`` reads it (``adtracker.vtex.handler``): no cookie holds it.

The rules are pure: parsing a place, finding a cookie in ``document.cookie``, checking a
value as any host id is checked, and which id wins (:func:`choose`). :class:`PlacedId`
reads a place through the :class:`~adtracker.base.ports.PlaceReader` port and checks the
text again only when it changed, so that reading before every event stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from adtracker.base.limits import MAX_ID_LENGTH
from adtracker.base.ports import Log, PlaceReader
from adtracker.base.vocabulary import ID_PLACE_KINDS, IdPlaceKind
from adtracker.ids.host_id import HOST_ID

VTEX_SESSION_COOKIE = "VtexRCMacIdv7"
PLACE_FORMS = "cookie:NAME, localStorage:KEY, sessionStorage:KEY or vtex"
MAX_PLACE_KEY = 256
_KINDS = {kind.lower(): kind for kind in ID_PLACE_KINDS}
# RFC 6265: a cookie name is an HTTP token.
_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

IdField = Literal["user_id", "session_id"]


class IdPlace(BaseModel):
    """Where one id lives. From text: ``"cookie:sid"`` (the kind in any case, trimmed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: IdPlaceKind
    key: str = Field(default="", max_length=MAX_PLACE_KEY)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = value.strip()
        kind, _, key = text.partition(":")
        canonical = _KINDS.get(kind.strip().lower())
        if canonical is None:
            raise ValueError(f"{text[:80]!r} is not a place: write {PLACE_FORMS}")
        return {"kind": canonical, "key": key.strip()}

    @model_validator(mode="after")
    def _check_key(self) -> IdPlace:
        if self.kind == "vtex":
            if self.key:
                raise ValueError("vtex takes no name (write just vtex)")
        elif not self.key:
            raise ValueError(f"{self.kind}: needs a name, e.g. {self.kind}:session_id")
        elif self.kind == "cookie" and not _COOKIE_NAME.match(self.key):
            raise ValueError(f"{self.key[:80]!r} is not a cookie name")
        elif _CONTROL.search(self.key):
            raise ValueError("a storage key may not contain control characters")
        return self

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}" if self.key else self.kind


def choose(explicit: str | None, placed: str | None, own: str) -> str:
    """The id sent: the host's own (``data-user-id``, ``identify``), else the one read from
    its named place, else the tracker's generated id."""
    return explicit or placed or own


def cookie_value(header: str, name: str) -> str | None:
    """The value of cookie ``name`` in ``document.cookie`` (the first one listed: the
    browser lists the most specific path first), one pair of double quotes removed."""
    for pair in header.split(";"):
        key, sep, value = pair.partition("=")
        if sep and key.strip() == name:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return None


def checked_id(text: str | None) -> tuple[str | None, str]:
    """``text`` as a host id, or None and why not (``"is not set"``, ``"is empty"``…)."""
    if text is None:
        return None, "is not set"
    if text.strip() == "":
        return None, "is empty"
    if len(text) > MAX_ID_LENGTH:  # before pydantic: a 100 kB value costs no regex
        return None, f"holds {len(text)} characters (an id has at most {MAX_ID_LENGTH})"
    try:
        return HOST_ID.validate_python(text), ""
    except ValidationError as exc:
        kind = exc.errors(include_url=False)[0]["type"]
        why = "contains a control character" if kind == "string_pattern_mismatch" else kind
        return None, f"is not an id: it {why}"


_UNREAD = object()


class PlacedId:
    """One id's place, read on demand. The text read is checked again only when it
    changed (for a cookie: when ``document.cookie`` changed); debug mode says once when
    the tracker falls back to its own id, and each time the id read changes."""

    def __init__(
        self, field: IdField, place: IdPlace, label: str, reader: PlaceReader, log: Log
    ) -> None:
        self._field = field
        self._label = label
        self._log = log
        self._cookie = place.key if place.kind == "cookie" else None
        self._read_raw: Callable[[], str | None]
        if place.kind == "cookie":
            self._read_raw = reader.cookies
        else:
            area, key = place.kind, place.key
            self._read_raw = lambda: reader.item(area, key)  # type: ignore[arg-type]
        self._raw: object = _UNREAD
        self.value: str | None = None
        self._said_fallback = False

    def read(self) -> str | None:
        """The id the place holds now, or None (the tracker then uses its own)."""
        try:
            raw = self._read_raw()
        except Exception as exc:  # sandboxed frame, blocked storage: never into the page
            self._raw = _UNREAD
            self._settle(None, f"cannot be read ({type(exc).__name__}: {exc})")
            return None
        if raw == self._raw:
            return self.value
        self._raw = raw
        text = raw if self._cookie is None or raw is None else cookie_value(raw, self._cookie)
        self._settle(*checked_id(text))
        return self.value

    def _settle(self, value: str | None, why: str) -> None:
        if value is not None and value != self.value:
            self._log.debug(f"{self._field} read from {self._label}: {value}")
        elif value is None and not self._said_fallback:
            self._said_fallback = True
            self._log.debug(
                f"{self._field}: {self._label} {why}; the tracker uses its own {self._field}"
                " until it holds a valid id"
            )
        self.value = value


@dataclass(frozen=True, slots=True)
class Found:
    """The ids read from their named places (None: nothing valid there, or no place)."""

    user_id: str | None = None
    session_id: str | None = None


NOTHING = Found()


class PlacedIds:
    """The places the config names for ``user_id`` and ``session_id``, read together.

    ``vtex`` for ``user_id`` is not read here: ``vtex:userData`` messages bring it. An
    explicit host id (``data-user-id``, ``identify``, ``data-session-id``) wins, and its
    place is then not read at all.
    """

    def __init__(
        self,
        user_place: IdPlace | None,
        session_place: IdPlace | None,
        reader: PlaceReader | None,
        log: Log,
    ) -> None:
        self._user: PlacedId | None = None
        self._session: PlacedId | None = None
        if reader is None:
            if user_place is not None or session_place is not None:
                log.debug("no place reader here: data-user-id-from/-session-id-from are not read")
            return
        if user_place is not None and user_place.kind != "vtex":
            self._user = PlacedId("user_id", user_place, str(user_place), reader, log)
        if session_place is not None:
            label = str(session_place)
            if session_place.kind == "vtex":
                session_place = IdPlace(kind="cookie", key=VTEX_SESSION_COOKIE)
                label = f"vtex (cookie {VTEX_SESSION_COOKIE})"
            self._session = PlacedId("session_id", session_place, label, reader, log)

    def read(self, explicit_user: str | None, explicit_session: str | None) -> Found:
        """What the places hold now (a place whose id is given explicitly is skipped)."""
        user, session = self._user, self._session
        if user is None and session is None:
            return NOTHING
        return Found(
            user_id=None if user is None or explicit_user else user.read(),
            session_id=None if session is None or explicit_session else session.read(),
        )
