"""The requests this page has in flight, and how long each may take (pure).

A browser opens at most ``CONNECTIONS_PER_HOST`` connections to one host for HTTP/1.1
(Chromium, Firefox and Safari alike) and queues the rest of that host's requests, inside
``fetch``. An attempt's timeout runs from the ``fetch`` call, queue included: a burst of
impressions on a page could time out in the browser's own queue while the server answers
each at once, and each such attempt that left just before its abort was counted by the
server and then sent again (the soak met 300 such copies in a run, 2026-12-06). So each
attempt's timeout counts the requests ahead of it: the ``k``-th request in flight to one
origin may wait for ``k // CONNECTIONS_PER_HOST`` earlier ones to use their full timeout
before its own starts. A timed-out attempt then means the server (or the network) was
slow, not our queue.

Over HTTP/2 (one connection, many requests) that allowance is only lenient.
"""

from __future__ import annotations

from collections import Counter

from adtracker.base.limits import MAX_IN_FLIGHT

#: Connections a browser opens to one host for HTTP/1.1.
CONNECTIONS_PER_HOST = 6


def attempt_timeout(request_timeout: float, ahead: int) -> float:
    """Seconds an attempt may take when ``ahead`` requests to its origin are in flight."""
    return request_timeout * (1 + max(ahead, 0) // CONNECTIONS_PER_HOST)


class InFlight:
    """This page's requests in flight, per origin (the outbox's leases are across tabs)."""

    def __init__(self) -> None:
        self._by_origin: Counter[str] = Counter()

    def __len__(self) -> int:
        return sum(self._by_origin.values())

    def ahead(self, origin: str) -> int:
        return self._by_origin[origin]

    @property
    def full(self) -> bool:
        """``MAX_IN_FLIGHT`` requests are in flight: a new event waits in the outbox."""
        return len(self) >= MAX_IN_FLIGHT

    def start(self, origin: str) -> None:
        self._by_origin[origin] += 1

    def end(self, origin: str) -> None:
        self._by_origin[origin] -= 1
        if self._by_origin[origin] <= 0:
            del self._by_origin[origin]
