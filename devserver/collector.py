"""A local VTEX Ads events collector: the four beacon endpoints, answered like VTEX does.

Routes and request-body schemas come from ``vtex-ads-events.openapi.json`` (VTEX's own
document, copied unchanged; see ``devserver.schema``). Failures get HTTP 422 with a JSON
array of Ajv-style errors. Tests inject faults (``devserver.faults``); the HTTP side is
``devserver.collector_http``.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from devserver.background import BackgroundServer
from devserver.collector_http import CollectorHandler
from devserver.faults import Answer, Faults
from devserver.schema import (
    NOT_FOUND,
    NOT_JSON_ERROR,
    SPEC_PATH,
    ajv_errors,
    json_bytes,
    load_routes,
    parse_json,
)


@dataclass(frozen=True)
class Received:
    """One POST the collector answered (or dropped, status 0)."""

    kind: str  # "click" | "impression" | "view" | "conversion" | "unknown"
    path: str  # path + query string exactly as received
    ad_id: str | None
    headers: dict[str, str]  # lower-cased names
    body_text: str
    body_json: Any  # parsed JSON, or None
    status: int  # 0 = connection closed without a response
    errors: list[dict[str, Any]]  # Ajv-style schema errors of the body, [] when valid
    origin: str | None
    received_at: float
    # A fault decided this answer (Collector.add_fault), sent this long after receipt.
    faulted: bool = False
    delay: float = 0.0

    def _body_field(self, name: str) -> Any:
        return self.body_json.get(name) if isinstance(self.body_json, dict) else None

    @property
    def user_id(self) -> Any:
        return self._body_field("user_id")

    @property
    def session_id(self) -> Any:
        return self._body_field("session_id")

    def summary(self) -> dict[str, Any]:
        """The JSON shape served by ``GET /_events``."""
        out = {
            "kind": self.kind,
            "path": self.path,
            "ad_id": self.ad_id,
            "status": self.status,
            "body_json": self.body_json,
            "errors": self.errors,
            "origin": self.origin,
            "received_at": self.received_at,
        }
        for name in ("user_id", "session_id"):
            if isinstance(self.body_json, dict) and name in self.body_json:
                out[name] = self.body_json[name]
        return out


@dataclass(frozen=True)
class Preflight:
    path: str
    origin: str | None
    request_method: str | None
    request_headers: str | None
    received_at: float


class Collector(BackgroundServer):
    """VTEX Ads beacon endpoints on 127.0.0.1, in a background thread."""

    handler = CollectorHandler
    thread_name = "collector"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verbose: bool = False,
        spec_path: Path = SPEC_PATH,
    ) -> None:
        super().__init__(host, port)
        self.verbose = verbose
        self.routes = load_routes(spec_path)
        self.faults = Faults()
        self._lock = threading.Lock()
        self._events: list[Received] = []
        self._preflights: list[Preflight] = []

    # records --------------------------------------------------------------------

    def events(self) -> list[Received]:
        with self._lock:
            return list(self._events)

    def accepted(self) -> list[Received]:
        return [e for e in self.events() if 200 <= e.status < 300]

    def preflights(self) -> list[Preflight]:
        with self._lock:
            return list(self._preflights)

    def clear(self) -> None:
        """Forget recorded events and preflights (pending faults stay)."""
        with self._lock:
            self._events.clear()
            self._preflights.clear()

    def wait_for(self, n: int, timeout: float = 10.0, accepted_only: bool = True) -> list[Received]:
        """Poll until at least ``n`` (accepted) events; return what there is at the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.accepted() if accepted_only else self.events()
            if len(got) >= n or time.monotonic() >= deadline:
                return got
            time.sleep(0.05)

    # faults ---------------------------------------------------------------------

    def add_fault(self, match: str, status: int, times: int = 1, **options: Any) -> None:
        """Answer the next ``times`` POSTs whose path+query contains ``match`` with
        ``status`` (0: close the connection without any response, a network error).
        ``options``: ``body``, ``headers``, ``delay`` (see ``Faults.add``)."""
        self.faults.add(match, status, times, **options)

    def clear_faults(self) -> None:
        self.faults.clear()

    # requests (called by the HTTP handler) ------------------------------------------

    def record_preflight(
        self,
        path: str,
        origin: str | None,
        request_method: str | None,
        request_headers: str | None,
    ) -> None:
        preflight = Preflight(path, origin, request_method, request_headers, time.time())
        with self._lock:
            self._preflights.append(preflight)

    def answer_beacon(
        self, target: str, headers: dict[str, str], body: bytes, too_large: bool
    ) -> Answer:
        """Record one beacon POST and decide its answer: fault, 413, 404, 422 or 202."""
        path = urlsplit(target).path
        route, match = next(
            ((r, m) for r in self.routes if (m := r.pattern.match(path))), (None, None)
        )
        is_json, body_json = parse_json(body)
        errors: list[dict[str, Any]] = []
        if route is not None and not too_large:
            if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
                errors = [NOT_JSON_ERROR]
            elif not is_json:
                errors = [NOT_JSON_ERROR]
            else:
                errors = ajv_errors(route.validator, body_json)
        kind = route.kind if route else "unknown"
        accepted = {"messages": [f"{kind} will be processed soon"]}

        fault = self.faults.take(target)
        if fault is not None:
            answer = fault.answer(accepted if route else NOT_FOUND)
        elif too_large:
            answer = Answer(413, json_bytes({"messages": ["request entity too large"]}))
        elif route is None:
            answer = Answer(404, json_bytes(NOT_FOUND))
        elif errors:
            answer = Answer(422, json_bytes(errors))
        else:
            answer = Answer(202, json_bytes(accepted))

        ad_id = match.groupdict().get("ad_id") if match else None
        event = Received(
            kind=kind,
            path=target,
            ad_id=unquote(ad_id) if ad_id else None,
            headers=headers,
            body_text=body.decode("utf-8", errors="replace"),
            body_json=body_json if is_json else None,
            status=answer.status,
            errors=errors,
            origin=headers.get("origin"),
            received_at=time.time(),
            faulted=fault is not None,
            delay=answer.delay,
        )
        with self._lock:
            self._events.append(event)
        if self.verbose:
            clock = time.strftime("%H:%M:%S", time.localtime(event.received_at))
            print(f"{clock} {kind} {answer.status} {target}", file=sys.stderr, flush=True)
        return answer
