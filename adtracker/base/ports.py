"""The platform pieces the core needs, as Protocols. The browser supplies real ones
(``adtracker.browser``); unit tests supply fakes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from adtracker.base.vocabulary import StorageArea


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch (float, millisecond precision is enough)."""
        ...


class Storage(Protocol):
    """A string key/value store (localStorage in the browser). Any call may raise."""

    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None: ...
    def remove(self, key: str) -> None: ...
    def keys(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class SendResult:
    """What became of one beacon request.

    ``status`` is None when no HTTP response arrived (network error, CORS failure,
    redirect refused); ``error`` then says why. ``body`` is the response text,
    possibly truncated by the transport.
    """

    status: int | None
    body: str = ""
    error: str = ""
    # The Retry-After header, when the server sent and exposed one.
    retry_after: str | None = None
    # True when the request timed out (aborted by the transport after its bound).
    timed_out: bool = False
    # True when the server answered with a redirect, which is refused, never followed.
    redirected: bool = False


class Transport(Protocol):
    def online(self) -> bool:
        """False when the browser knows it is offline (a request now could not leave)."""
        ...

    def send(
        self, url: str, body: str, on_result: Callable[[SendResult], None], timeout: float
    ) -> None:
        """Dispatch a POST of ``body`` (JSON) to ``url`` *before returning*.

        The request must already be on its way when this returns (a link click
        unloads the page right after the handler). ``on_result`` is called later,
        at most once; after ``timeout`` seconds the request is aborted and reported
        ``timed_out``.
        """
        ...


class IdSource(Protocol):
    def new_id(self) -> str:
        """A fresh random identifier (uuid4 string)."""
        ...


class Scheduler(Protocol):
    def soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` later, off the current (hot) path. It may never run if the page unloads."""
        ...

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` after ``seconds`` (a retry timer)."""
        ...


class Locks(Protocol):
    def run(self, name: str, fn: Callable[[], None]) -> None:
        """Run ``fn`` holding the cross-tab lock ``name`` (Web Locks), now or soon.

        Where no lock exists it runs ``fn`` anyway; what ``fn`` does must then stay
        safe without one (the outbox's leases make it so).
        """
        ...


class PlaceReader(Protocol):
    """Where stores keep their ids (``data-user-id-from``, ``data-session-id-from``): the
    page's cookies and web storage. Any call may raise."""

    def cookies(self) -> str:
        """Every cookie the page's script can read, as one string (``document.cookie``)."""
        ...

    def item(self, area: StorageArea, key: str) -> str | None:
        """``window[area].getItem(key)``: None when there is no such key."""
        ...


class Log(Protocol):
    def debug(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...
