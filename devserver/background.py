"""What the collector and the static server share: a quiet threaded HTTP server on
127.0.0.1 that runs in a background thread."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def merge_headers(base: dict[str, str], extra: dict[str, str] | None) -> dict[str, str]:
    """``base`` updated with ``extra``; header names compared case-insensitively."""
    out = {k: v for k, v in base.items() if k.lower() not in {e.lower() for e in extra or {}}}
    out.update(extra or {})
    return out


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: Any  # the BackgroundServer that started it

    def handle_error(self, request, client_address) -> None:
        # A browser that navigates away resets its connections: not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class BackgroundServer:
    """Start/stop, ``with`` support, ``origin`` and ``url()`` for a request handler."""

    handler: type[BaseHTTPRequestHandler]
    thread_name = "server"

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server: QuietServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        server = QuietServer((self.host, self.port), self.handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.origin + path
