"""A local VTEX Ads events collector: the four beacon endpoints, answered like VTEX does.

Routes and request-body schemas come from ``vtex-ads-events.openapi.json`` (VTEX's own
document, copied unchanged). Bodies are validated with jsonschema's Draft 4 validator plus
OpenAPI 3.0's ``nullable``; failures get HTTP 422 with a JSON array of Ajv-style errors.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jsonschema import Draft4Validator, ValidationError, validators

from devserver.background import BackgroundServer, QuietServer

SPEC_PATH = Path(__file__).with_name("vtex-ads-events.openapi.json")
MAX_BODY = 64 * 1024
_DRAIN_LIMIT = 1024 * 1024  # bigger bodies are not read at all: 413 and close
NOT_JSON_ERROR: dict[str, Any] = {
    "instancePath": "",
    "schemaPath": "#/type",
    "keyword": "type",
    "params": {"type": "object"},
    "message": "must be object",
}
_NOT_FOUND = {"messages": ["not found"]}
_NO_BODY_STATUSES = {204, 304}


# --------------------------------------------------------------------------- schema


def _type_or_nullable(validator, types, instance, schema) -> Iterator[ValidationError]:
    """Draft 4 ``type``, except that OpenAPI 3.0's ``nullable: true`` also admits null."""
    if instance is None and schema.get("nullable") is True:
        return
    yield from Draft4Validator.VALIDATORS["type"](validator, types, instance, schema)


OpenAPI30Validator = validators.extend(Draft4Validator, {"type": _type_or_nullable})


@dataclass(frozen=True)
class Route:
    kind: str
    pattern: re.Pattern[str]
    validator: Any  # an OpenAPI30Validator


def load_routes(spec_path: Path = SPEC_PATH) -> list[Route]:
    """One route per POST path of the OpenAPI document, with its request-body validator."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    routes = []
    for template, item in spec["paths"].items():
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        OpenAPI30Validator.check_schema(schema)
        segments = template.strip("/").split("/")
        kind = next(s for s in reversed(segments) if not s.startswith("{"))
        regex = "/".join(
            f"(?P<{s[1:-1]}>[^/]+)" if s.startswith("{") else re.escape(s) for s in segments
        )
        routes.append(Route(kind, re.compile(f"^/{regex}$"), OpenAPI30Validator(schema)))
    return routes


def _pointer(parts: Iterator[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _js(value: Any) -> Any:
    """Render numbers the way JavaScript prints them (2.0 → 2)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


_LIMITS = {
    "minLength": "must NOT have fewer than {} characters",
    "maxLength": "must NOT have more than {} characters",
    "minItems": "must NOT have fewer than {} items",
    "maxItems": "must NOT have more than {} items",
    "minProperties": "must NOT have fewer than {} properties",
    "maxProperties": "must NOT have more than {} properties",
}


def _ajv(error: ValidationError) -> list[dict[str, Any]]:
    """The Ajv error(s) for one jsonschema error (``required`` gives one per missing name)."""
    keyword, value, instance = str(error.validator), error.validator_value, error.instance
    params: dict[str, Any] = {}
    if keyword == "required":
        missing = [p for p in value if isinstance(instance, dict) and p not in instance]
        pairs = [({"missingProperty": p}, f"must have required property '{p}'") for p in missing]
    elif keyword == "additionalProperties" and value is False:
        known = error.schema.get("properties", {})
        patterns = error.schema.get("patternProperties", {})
        extra = [
            k for k in instance if k not in known and not any(re.search(q, k) for q in patterns)
        ]
        pairs = [({"additionalProperty": k}, "must NOT have additional properties") for k in extra]
    else:
        message = error.message
        if keyword == "type":
            params = {"type": value}
            message = f"must be {','.join(value) if isinstance(value, list) else value}"
        elif keyword == "enum":
            params, message = {"allowedValues": value}, "must be equal to one of the allowed values"
        elif keyword in ("minimum", "maximum"):
            exclusive = error.schema.get("exclusive" + keyword.capitalize()) is True
            op = (">" if keyword == "minimum" else "<") + ("" if exclusive else "=")
            params, message = {"comparison": op, "limit": _js(value)}, f"must be {op} {_js(value)}"
        elif keyword in _LIMITS:
            params, message = {"limit": value}, _LIMITS[keyword].format(value)
        elif keyword in ("pattern", "format"):
            params, message = {keyword: value}, f'must match {keyword} "{value}"'
        elif keyword == "multipleOf":
            params, message = {"multipleOf": _js(value)}, f"must be multiple of {_js(value)}"
        elif keyword == "anyOf":
            message = "must match a schema in anyOf"
        elif keyword == "oneOf":
            params, message = {"passingSchemas": None}, "must match exactly one schema in oneOf"
        elif keyword == "not":
            message = "must NOT be valid"
        pairs = [(params, message)]
    where = {
        "instancePath": _pointer(iter(error.absolute_path)),
        "schemaPath": "#" + _pointer(iter(error.absolute_schema_path)),
        "keyword": keyword,
    }
    return [{**where, "params": p, "message": m} for p, m in pairs]


def ajv_errors(validator: Any, instance: Any) -> list[dict[str, Any]]:
    """All errors, Ajv style: an anyOf/oneOf's branch errors come before its own error."""
    out: list[dict[str, Any]] = []

    def walk(error: ValidationError) -> None:
        for sub in error.context or ():
            walk(sub)
        out.extend(e for e in _ajv(error) if e not in out)

    for error in validator.iter_errors(instance):
        walk(error)
    return out


# --------------------------------------------------------------------------- records


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


@dataclass
class _Fault:
    match: str
    status: int
    remaining: int
    body: str | None
    headers: dict[str, str]
    delay: float


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_json(body: bytes) -> tuple[bool, Any]:
    try:
        return True, json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return False, None


def _merge(base: dict[str, str], extra: dict[str, str] | None) -> dict[str, str]:
    """``base`` updated with ``extra``; header names compared case-insensitively."""
    out = {k: v for k, v in base.items() if k.lower() not in {e.lower() for e in extra or {}}}
    out.update(extra or {})
    return out


# --------------------------------------------------------------------------- collector


class Collector(BackgroundServer):
    """VTEX Ads beacon endpoints on 127.0.0.1, in a background thread."""

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
        self._lock = threading.Lock()
        self._events: list[Received] = []
        self._preflights: list[Preflight] = []
        self._faults: list[_Fault] = []

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

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def wait_for(self, n: int, timeout: float = 10.0, accepted_only: bool = True) -> list[Received]:
        """Poll until at least ``n`` (accepted) events; return what there is at the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.accepted() if accepted_only else self.events()
            if len(got) >= n or time.monotonic() >= deadline:
                return got
            time.sleep(0.05)

    # faults ---------------------------------------------------------------------

    def add_fault(
        self,
        match: str,
        status: int,
        times: int = 1,
        *,
        body: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` POSTs whose path+query contains ``match`` this way.

        Status 0 closes the connection without any response (a network error).
        """
        if not (status == 0 or 100 <= status <= 599) or times < 1 or delay < 0:
            raise ValueError(f"bad fault: status={status} times={times} delay={delay}")
        fault = _Fault(match, status, times, body, dict(headers or {}), delay)
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, target: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.match in target:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # request handling -------------------------------------------------------------

    def _beacon(
        self, target: str, headers: dict[str, str], body: bytes, too_large: bool
    ) -> _Answer:
        """Record one beacon POST and decide its answer: fault, 413, 404, 422 or 202."""
        path = urlsplit(target).path
        route, match = next(
            ((r, m) for r in self.routes if (m := r.pattern.match(path))), (None, None)
        )
        is_json, body_json = _parse_json(body)
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

        fault = self._take_fault(target)
        if fault is not None:
            answer = self._fault_answer(fault, accepted if route else _NOT_FOUND)
        elif too_large:
            answer = _Answer(413, _json_bytes({"messages": ["request entity too large"]}))
        elif route is None:
            answer = _Answer(404, _json_bytes(_NOT_FOUND))
        elif errors:
            answer = _Answer(422, _json_bytes(errors))
        else:
            answer = _Answer(202, _json_bytes(accepted))

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
        )
        with self._lock:
            self._events.append(event)
        if self.verbose:
            clock = time.strftime("%H:%M:%S", time.localtime(event.received_at))
            print(f"{clock} {kind} {answer.status} {target}", file=sys.stderr, flush=True)
        return answer

    @staticmethod
    def _fault_answer(fault: _Fault, default_2xx: Any) -> _Answer:
        if fault.body is not None:
            is_json, _ = _parse_json(fault.body.encode("utf-8"))
            ctype = "application/json" if is_json else "text/plain; charset=utf-8"
            body = fault.body.encode("utf-8")
        else:
            try:
                phrase = HTTPStatus(fault.status).phrase.lower()
            except ValueError:
                phrase = "error"
            ctype = "application/json"
            ok = 200 <= fault.status < 300
            body = _json_bytes(default_2xx if ok else {"messages": [phrase]})
        headers = _merge({"Content-Type": ctype}, fault.headers)
        return _Answer(fault.status, body, headers, fault.delay)

    def _add_fault_from_json(self, body: bytes) -> None:
        is_json, spec = _parse_json(body)
        if not is_json or not isinstance(spec, dict) or not isinstance(spec.get("match"), str):
            raise ValueError('expected a JSON object with "match" and "status"')
        headers = spec.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ValueError('"headers" must map names to strings')
        fault_body = spec.get("body")
        self.add_fault(
            spec["match"],
            int(spec["status"]),
            int(spec.get("times", 1)),
            body=None if fault_body is None else str(fault_body),
            headers=headers,
            delay=float(spec.get("delay", 0.0)),
        )

    def _record_preflight(self, preflight: Preflight) -> None:
        with self._lock:
            self._preflights.append(preflight)


# --------------------------------------------------------------------------- HTTP


class _Handler(BaseHTTPRequestHandler):
    server: QuietServer
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, format, *args) -> None:
        """Quiet: the collector logs events itself when verbose."""

    def _lower_headers(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        origin = self.headers.get("Origin")
        base = {
            "Content-Type": "application/json",
            "Access-Control-Allow-Origin": origin or "*",
            "Vary": "Origin",
            "Cache-Control": "no-store",
            # Lets a browser client read Retry-After on a 429/503 (not CORS-safelisted).
            "Access-Control-Expose-Headers": "Retry-After",
        }
        self.send_response(status)
        for name, value in _merge(base, headers).items():
            self.send_header(name, value)
        if status in _NO_BODY_STATUSES:
            body = b""
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self) -> tuple[bytes, bool]:
        """The request body and whether it is over MAX_BODY (huge ones are not read)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, size = [], 0
            while (n := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)) > 0:
                size += n
                if size > _DRAIN_LIMIT:
                    self.close_connection = True
                    return b"", True
                chunks.append(self.rfile.read(n))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            body = b"".join(chunks)
            return body, len(body) > MAX_BODY
        length = int(self.headers.get("Content-Length") or 0)
        if length > _DRAIN_LIMIT:
            self.close_connection = True
            return b"", True
        return self.rfile.read(length), length > MAX_BODY

    def do_OPTIONS(self) -> None:
        request_headers = self.headers.get("Access-Control-Request-Headers")
        self.server.owner._record_preflight(
            Preflight(
                path=self.path,
                origin=self.headers.get("Origin"),
                request_method=self.headers.get("Access-Control-Request-Method"),
                request_headers=request_headers,
                received_at=time.time(),
            )
        )
        headers = {
            "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
            "Access-Control-Allow-Headers": request_headers or "content-type, accept",
            "Access-Control-Max-Age": "600",
        }
        if self.headers.get("Access-Control-Request-Private-Network") == "true":
            headers["Access-Control-Allow-Private-Network"] = "true"
        self._send(204, b"", headers)

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/_events":
            self._send(200, _json_bytes([e.summary() for e in self.server.owner.events()]))
        else:
            self._send(404, _json_bytes(_NOT_FOUND))

    def do_POST(self) -> None:
        collector = self.server.owner
        try:
            body, too_large = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(400, _json_bytes({"messages": ["bad request framing"]}))
            return
        path = urlsplit(self.path).path
        if path == "/_reset":
            collector.clear()
            collector.clear_faults()
            self._send(200, _json_bytes({"messages": ["reset"]}))
            return
        if path == "/_faults":
            try:
                collector._add_fault_from_json(body)
            except (ValueError, TypeError, KeyError) as exc:
                self._send(400, _json_bytes({"messages": [f"invalid fault: {exc}"]}))
                return
            self._send(200, _json_bytes({"messages": ["fault added"]}))
            return

        answer = collector._beacon(self.path, self._lower_headers(), body, too_large)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.status == 0:
            self.close_connection = True  # no response at all: the client sees a network error
            return
        self._send(answer.status, answer.body, answer.headers)


Collector.handler = _Handler
Collector.thread_name = "collector"
