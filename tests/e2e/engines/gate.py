"""A held image on its own port: keeps a page's ``load`` event pending, in any engine.

The loader boots Python after the page's ``load`` event, so while a page waits for this
image a click is certainly a *pre-boot* click. Playwright could hold a request with
``page.route``; puppeteer over BiDi and WebDriver classic cannot, so the server holds it.
"""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler

from devserver.background import BackgroundServer, QuietServer

TINY_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
#: However long a test forgets to release, a held request is answered after this.
HOLD_LIMIT = 60.0


class _Handler(BaseHTTPRequestHandler):
    server: QuietServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        gate: Gate = self.server.owner
        gate.requested.set()
        gate.released.wait(HOLD_LIMIT)
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(TINY_GIF)))
        self.end_headers()
        self.wfile.write(TINY_GIF)


class Gate(BackgroundServer):
    """``img_html()`` renders the held image; ``release()`` answers it (and any later one)."""

    handler = _Handler
    thread_name = "gate"

    def __init__(self) -> None:
        super().__init__("127.0.0.1", 0)
        self.requested = threading.Event()
        self.released = threading.Event()

    def img_html(self) -> str:
        return f'<img src="{self.url("/hero.gif")}" alt="" width="1" height="1">'

    def release(self) -> None:
        self.released.set()

    def stop(self) -> None:
        self.release()  # never leave a handler thread waiting
        super().stop()
