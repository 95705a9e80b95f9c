"""The collector's HTTP side: request framing, CORS, and the test-only routes
(``GET /_events``, ``POST /_reset``, ``POST /_faults``). Decisions are the Collector's."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from devserver.background import QuietServer, merge_headers
from devserver.schema import NOT_FOUND, json_bytes

if TYPE_CHECKING:
    from devserver.collector import Collector

MAX_BODY = 64 * 1024
_DRAIN_LIMIT = 1024 * 1024  # bigger bodies are not read at all: 413 and close
_NO_BODY_STATUSES = {204, 304}


class CollectorHandler(BaseHTTPRequestHandler):
    server: QuietServer
    protocol_version = "HTTP/1.1"
    timeout = 30

    @property
    def collector(self) -> Collector:
        return self.server.owner

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
        for name, value in merge_headers(base, headers).items():
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
        self.collector.record_preflight(
            path=self.path,
            origin=self.headers.get("Origin"),
            request_method=self.headers.get("Access-Control-Request-Method"),
            request_headers=request_headers,
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
            self._send(200, json_bytes([e.summary() for e in self.collector.events()]))
        else:
            self._send(404, json_bytes(NOT_FOUND))

    def do_POST(self) -> None:
        collector = self.collector
        try:
            body, too_large = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(400, json_bytes({"messages": ["bad request framing"]}))
            return
        path = urlsplit(self.path).path
        if path == "/_reset":
            collector.clear()
            collector.clear_faults()
            self._send(200, json_bytes({"messages": ["reset"]}))
            return
        if path == "/_faults":
            try:
                collector.faults.add_from_json(body)
            except (ValueError, TypeError, KeyError) as exc:
                self._send(400, json_bytes({"messages": [f"invalid fault: {exc}"]}))
                return
            self._send(200, json_bytes({"messages": ["fault added"]}))
            return

        answer = collector.answer_beacon(self.path, self._lower_headers(), body, too_large)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.status == 0:
            self.close_connection = True  # no response at all: the client sees a network error
            return
        self._send(answer.status, answer.body, answer.headers)
