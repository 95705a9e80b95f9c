"""Fault injection for the collector: answer the next N matching POSTs with another
status, body, headers or delay (status 0: close the connection, a network error)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from devserver.background import merge_headers
from devserver.schema import json_bytes, parse_json


@dataclass
class Fault:
    match: str  # a substring of the request's path + query
    status: int
    remaining: int
    body: str | None
    headers: dict[str, str]
    delay: float

    def answer(self, default_2xx: Any) -> Answer:
        """This fault's answer; a 2xx without a body of its own gets ``default_2xx``."""
        if self.body is not None:
            is_json, _ = parse_json(self.body.encode("utf-8"))
            ctype = "application/json" if is_json else "text/plain; charset=utf-8"
            body = self.body.encode("utf-8")
        else:
            try:
                phrase = HTTPStatus(self.status).phrase.lower()
            except ValueError:
                phrase = "error"
            ctype = "application/json"
            ok = 200 <= self.status < 300
            body = json_bytes(default_2xx if ok else {"messages": [phrase]})
        headers = merge_headers({"Content-Type": ctype}, self.headers)
        return Answer(self.status, body, headers, self.delay)


@dataclass
class Answer:
    """What the collector answers to one POST (status 0: no answer, close)."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Faults:
    """Pending faults, first match wins; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Fault] = []

    def add(
        self,
        match: str,
        status: int,
        times: int = 1,
        *,
        body: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` POSTs whose path+query contains ``match`` with ``status``,
        and ``body``/``headers`` instead of the usual ones, after ``delay`` seconds."""
        if not (status == 0 or 100 <= status <= 599) or times < 1 or delay < 0:
            raise ValueError(f"bad fault: status={status} times={times} delay={delay}")
        fault = Fault(match, status, times, body, dict(headers or {}), delay)
        with self._lock:
            self._pending.append(fault)

    def add_from_json(self, body: bytes) -> None:
        """A fault from a ``POST /_faults`` body; ValueError/TypeError/KeyError if invalid."""
        is_json, spec = parse_json(body)
        if not is_json or not isinstance(spec, dict) or not isinstance(spec.get("match"), str):
            raise ValueError('expected a JSON object with "match" and "status"')
        headers = spec.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ValueError('"headers" must map names to strings')
        fault_body = spec.get("body")
        self.add(
            spec["match"],
            int(spec["status"]),
            int(spec.get("times", 1)),
            body=None if fault_body is None else str(fault_body),
            headers=headers,
            delay=float(spec.get("delay", 0.0)),
        )

    def take(self, target: str) -> Fault | None:
        """The first pending fault whose match is in ``target``, counted as used once."""
        with self._lock:
            for fault in self._pending:
                if fault.match in target:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._pending.remove(fault)
                    return fault
        return None

    def pending(self) -> int:
        """How many faulty answers are still to be given."""
        with self._lock:
            return sum(f.remaining for f in self._pending)

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
