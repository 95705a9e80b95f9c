"""Fakes for the core's ports: a settable clock, dict storage, a recording transport."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from adtracker.base.decisions import Decision
from adtracker.base.ports import SendResult
from adtracker.base.store import MemoryStorage
from adtracker.config import TrackerConfig
from adtracker.tracker import Tracker

T0 = 1_800_000_000.0  # a fixed "now", epoch seconds


class FakeClock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class Sent:
    url: str
    body: str
    on_result: Callable[[SendResult], None]
    timeout: float = 0.0


class FakeTransport:
    """Records each request; the test answers them. With ``timeouts``, a request still
    unanswered when the clock passes its timeout is answered ``timed_out``, as the
    browser's AbortSignal does (only once: a later ``answer`` of it is ignored)."""

    def __init__(self, timeouts: ManualScheduler | None = None) -> None:
        self.sent: list[Sent] = []
        self.is_online = True
        self._timeouts = timeouts
        self._answered: set[int] = set()

    def online(self) -> bool:
        return self.is_online

    def send(
        self, url: str, body: str, on_result: Callable[[SendResult], None], timeout: float
    ) -> None:
        self.sent.append(Sent(url, body, on_result, timeout))
        if self._timeouts is not None:
            index = len(self.sent) - 1
            self._timeouts.later(timeout, lambda: self._time_out(index))

    def _time_out(self, index: int) -> None:
        if index not in self._answered:
            self._answered.add(index)
            self.sent[index].on_result(SendResult(None, error="timed out", timed_out=True))

    def answer(
        self,
        index: int,
        status: int | None,
        body: str = "",
        error: str = "",
        retry_after: str | None = None,
        timed_out: bool = False,
    ) -> None:
        if index in self._answered:
            return
        self._answered.add(index)
        self.sent[index].on_result(SendResult(status, body, error, retry_after, timed_out))


class CountingIds:
    def __init__(self) -> None:
        self._n = itertools.count(1)

    def new_id(self) -> str:
        return f"id-{next(self._n)}"


class ManualScheduler:
    """``soon`` runs on ``run()``; ``later`` timers run on ``advance()`` of the clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.queue: list[Callable[[], None]] = []
        self.timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()

    def soon(self, fn: Callable[[], None]) -> None:
        self.queue.append(fn)

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        self.timers.append((self.clock.now() + seconds, next(self._seq), fn))

    def run(self) -> None:
        while self.queue:
            self.queue.pop(0)()

    def advance(self, seconds: float) -> None:
        """Move the clock, firing due timers in order (and what they schedule)."""
        end = self.clock.now() + seconds
        self.run()
        while True:
            due = sorted(t for t in self.timers if t[0] <= end)
            if not due:
                break
            at, seq, fn = due[0]
            self.timers.remove((at, seq, fn))
            self.clock.t = max(self.clock.t, at)
            fn()
            self.run()
        self.clock.t = end


@dataclass
class RecordingLog:
    lines: list[tuple[str, str]] = field(default_factory=list)

    def debug(self, message: str) -> None:
        self.lines.append(("debug", message))

    def warn(self, message: str) -> None:
        self.lines.append(("warn", message))

    def error(self, message: str) -> None:
        self.lines.append(("error", message))

    def of(self, level: str) -> list[str]:
        return [m for lv, m in self.lines if lv == level]


class ThrowingStorage:
    """Storage that throws on every call, like a blocked localStorage."""

    def get(self, key: str) -> str | None:
        raise PermissionError("SecurityError: access denied")

    def set(self, key: str, value: str) -> None:
        raise PermissionError("SecurityError: access denied")

    def remove(self, key: str) -> None:
        raise PermissionError("SecurityError: access denied")

    def keys(self) -> list[str]:
        raise PermissionError("SecurityError: access denied")


ORIGIN = "https://events.newtail-media.newtail.com.br"
AD1 = ORIGIN + "/v1/beacon/click/4a94bc6e-7db1-425f-8430-cb4d17488b3b?pos=1&sig=a%2Fb"
AD2 = ORIGIN + "/v1/beacon/click/5b05cd7f-8ec2-536a-9541-dc5e18599c4c?pos=2"


@dataclass
class Rig:
    tracker: Tracker
    clock: FakeClock
    storage: MemoryStorage
    transport: FakeTransport
    scheduler: ManualScheduler
    log: RecordingLog
    decisions: list[Decision]


class FakePlaces:
    """The page's cookies and web storage, as the PlaceReader port reads them."""

    def __init__(self, cookies: str = "") -> None:
        self.cookie_header = cookies
        self.storage: dict[tuple[str, str], str] = {}
        self.reads = 0
        self.broken: Exception | None = None

    def cookies(self) -> str:
        self.reads += 1
        if self.broken is not None:
            raise self.broken
        return self.cookie_header

    def item(self, area: str, key: str) -> str | None:
        self.reads += 1
        if self.broken is not None:
            raise self.broken
        return self.storage.get((area, key))


def make_rig(
    storage: object | None = None,
    clock: FakeClock | None = None,
    places: FakePlaces | None = None,
    timeouts: bool = False,
    **config: object,
) -> Rig:
    """A tracker on fakes. ``timeouts``: unanswered requests time out (``FakeTransport``)."""
    clock = clock or FakeClock()
    store = MemoryStorage() if storage is None else storage
    scheduler = ManualScheduler(clock)
    transport = FakeTransport(scheduler if timeouts else None)
    log = RecordingLog()
    decisions: list[Decision] = []
    tracker = Tracker(
        TrackerConfig(**config),  # type: ignore[arg-type]
        clock=clock,
        storage=store,  # type: ignore[arg-type]
        transport=transport,
        ids=CountingIds(),
        scheduler=scheduler,
        log=log,
        observer=decisions.append,
        places=places,
        rand=lambda: 0.5,
    )
    return Rig(tracker, clock, store, transport, scheduler, log, decisions)  # type: ignore[arg-type]
