"""How the benchmark serves the dist: every byte on the wire counted (whichever context
asked: the page, a Worker, a prefetch), and optionally paced as over a shopper's network."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devserver import StaticServer


class Pacer:
    """A shared downlink: what every connection writes leaves at most ``bits_per_s`` in
    all (the page's and its Worker's requests share one phone network)."""

    CHUNK = 16 * 1024

    def __init__(
        self,
        bits_per_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._bytes_per_s = bits_per_s / 8
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._free_at = 0.0

    def send(self, data: bytes, write: Callable[[bytes], int]) -> int:
        for start in range(0, len(data), self.CHUNK):
            chunk = data[start : start + self.CHUNK]
            with self._lock:
                begin = max(self._clock(), self._free_at)
                self._free_at = begin + len(chunk) / self._bytes_per_s
                until = self._free_at
            if (delay := until - self._clock()) > 0:
                self._sleep(delay)
            write(chunk)
        return len(data)


class _CountingHandler(StaticServer.handler):  # type: ignore[misc, name-defined]
    """Logs every write to the socket (headers and body) with its request's path, so the
    dist's bytes on the wire are known whichever context asked for them: the page, a
    Worker, a prefetch. Cache hits cost nothing, as for a real visitor. On a throttled
    server each request first waits one round trip, and writes share its Pacer."""

    def do_GET(self) -> None:
        self._round_trip()
        super().do_GET()

    def do_HEAD(self) -> None:
        self._round_trip()
        super().do_HEAD()

    def _round_trip(self) -> None:
        rtt = self.server.owner.rtt_s
        if rtt:
            time.sleep(rtt)

    def setup(self) -> None:
        super().setup()
        raw, handler = self.wfile, self

        class Counter:
            def write(self, data: bytes) -> int:
                handler.server.owner.log_write(handler.path or "", len(data))
                pacer = handler.server.owner.pacer
                return raw.write(data) if pacer is None else pacer.send(data, raw.write)

            def __getattr__(self, name: str) -> Any:
                return getattr(raw, name)

        self.wfile = Counter()


class CountingServer(StaticServer):
    handler = _CountingHandler

    def __init__(self, *args: Any, network: Network | None = None, **kwargs: Any) -> None:
        """``network``: serve as over that network (a round trip per request and a shared
        downlink, paced here at the server: no TCP slow start, no TLS)."""
        super().__init__(*args, **kwargs)
        self._writes: list[tuple[str, int]] = []
        self._writes_lock = threading.Lock()
        self.rtt_s = network.rtt_ms / 1000 if network else 0.0
        self.pacer = Pacer(network.mbps * 1e6) if network else None

    def log_write(self, path: str, n: int) -> None:
        with self._writes_lock:
            self._writes.append((path, n))

    def writes(self) -> list[tuple[str, int]]:
        """(URL as requested, bytes) of every write to a socket so far, in order."""
        with self._writes_lock:
            return list(self._writes)


@dataclass(frozen=True)
class Network:
    """A shopper's network, as the server paces it."""

    name: str
    mbps: float
    rtt_ms: float
