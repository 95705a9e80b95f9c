"""A quiet static file server for the built dist, the demo pages and test pages."""

from __future__ import annotations

import mimetypes
import shutil
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from devserver import caching
from devserver.background import BackgroundServer, QuietServer, merge_headers

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".map": "application/json",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".py": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}


def content_type(name: str) -> str:
    if name.endswith(".d.ts"):
        return "text/plain"
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


class Request(NamedTuple):
    method: str
    path: str  # path + query exactly as received
    status: int


def _mount_prefix(mount: str) -> str:
    return "/" + mount.strip("/") + "/" if mount.strip("/") else "/"


class StaticServer(BackgroundServer):
    """Serves folders at URL prefixes, plus in-memory HTML pages, on 127.0.0.1."""

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        mount: str = "/",
        substitutions: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        cache: str = "dev",
    ) -> None:
        """``cache="production"`` serves like a CDN should: immutable hashed runtime files,
        ETag revalidation for the rest, precompressed ``.br``/``.gz`` siblings
        (see ``devserver.caching``). ``"dev"`` sends ``no-cache`` and no validators."""
        if cache not in ("dev", "production"):
            raise ValueError(f"cache must be 'dev' or 'production', not {cache!r}")
        self.production = cache == "production"
        super().__init__(host, port)
        self.substitutions = dict(substitutions or {})
        self.headers = merge_headers(
            {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}, headers
        )
        self._lock = threading.Lock()
        self._mounts: list[tuple[str, Path, bool]] = []  # (prefix, root, substitute)
        self._pages: dict[str, tuple[str, dict[str, str]]] = {}
        self._failures: list[tuple[str, int]] = []
        self._log: list[Request] = []
        self.add_dir(mount, root)

    # content --------------------------------------------------------------------

    def add_page(self, path: str, html: str, headers: dict[str, str] | None = None) -> str:
        """Serve ``html`` at exactly ``path`` (substitutions applied); return its full URL."""
        with self._lock:
            self._pages[path] = (html, dict(headers or {}))
        return self.url(path)

    def add_dir(self, mount: str, root: Path, *, substitute: bool = True) -> None:
        """Serve ``root`` under the URL prefix ``mount`` (the longest matching prefix wins).
        ``substitute=False`` serves its HTML verbatim, without the substitutions (e.g. the
        docs site, whose pages quote the placeholders)."""
        with self._lock:
            self._mounts.append((_mount_prefix(mount), Path(root), substitute))
            self._mounts.sort(key=lambda m: len(m[0]), reverse=True)

    def fail_path(self, suffix: str, status: int = 404) -> None:
        """Answer ``status`` to every request whose path (without query) ends with ``suffix``."""
        with self._lock:
            self._failures.append((suffix, status))

    def requests(self) -> list[Request]:
        """(method, path, status) of every request so far, in order."""
        with self._lock:
            return list(self._log)

    # resolution -----------------------------------------------------------------

    def _find(self, path: str) -> tuple[Path, bool] | str | None:
        """The file for a URL path and whether its mount substitutes, or a redirect target
        (str) for a directory without "/"."""
        decoded = unquote(path)
        parts = decoded.split("/")
        if ".." in parts or "\x00" in decoded or "\\" in decoded:
            return None  # never leave a root
        with self._lock:
            mounts = list(self._mounts)
        for prefix, root, substitute in mounts:
            if decoded + "/" == prefix:
                return path + "/"
            if not decoded.startswith(prefix):
                continue
            rest = [p for p in decoded[len(prefix) :].split("/") if p not in ("", ".")]
            target = root.joinpath(*rest)
            if target.is_dir():
                if not path.endswith("/"):
                    return path + "/"
                target = target / "index.html"
            elif decoded.endswith("/"):
                continue
            if target.is_file():
                return target, substitute
        return None

    def respond(
        self, target: str, request_headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes | Path]:
        """Status, headers and body (bytes, or a file to stream) for a GET of ``target``."""
        request_headers = request_headers or {}
        parts = urlsplit(target)
        with self._lock:
            failure = next((s for suffix, s in self._failures if parts.path.endswith(suffix)), None)
            page = self._pages.get(parts.path)
        if failure is not None:
            return self._error(failure)
        if page is not None:
            html, extra = page
            body = self._substitute(html).encode("utf-8")
            ctype = {"Content-Type": CONTENT_TYPES[".html"]}
            return 200, merge_headers(merge_headers(self.headers, ctype), extra), body
        found = self._find(parts.path)
        if isinstance(found, str):
            location = found + (f"?{parts.query}" if parts.query else "")
            return 301, merge_headers(self.headers, {"Location": location}), b""
        if found is None:
            return self._error(404)
        found, substitute = found
        headers = merge_headers(self.headers, {"Content-Type": content_type(found.name)})
        if substitute and found.suffix.lower() in (".html", ".htm"):
            return 200, headers, self._substitute(found.read_text(encoding="utf-8")).encode()
        if not self.production:
            return 200, headers, found
        tag = caching.etag(found)
        headers = merge_headers(
            headers, {"Cache-Control": caching.cache_control(parts.path), "ETag": tag}
        )
        if caching.not_modified(request_headers.get("if-none-match"), tag):
            return 304, headers, b""
        body, encoding = caching.precompressed(found, request_headers.get("accept-encoding"))
        if encoding is not None:
            headers = merge_headers(
                headers, {"Content-Encoding": encoding, "Vary": "Accept-Encoding"}
            )
        return 200, headers, body

    def _substitute(self, html: str) -> str:
        for key, value in self.substitutions.items():
            html = html.replace(key, value)
        return html

    def _error(self, status: int) -> tuple[int, dict[str, str], bytes]:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        ctype = {"Content-Type": "text/plain; charset=utf-8"}
        return status, merge_headers(self.headers, ctype), f"{status} {phrase}\n".encode()

    def record_request(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._log.append(Request(method, path, status))


# --------------------------------------------------------------------------- HTTP


class _Handler(BaseHTTPRequestHandler):
    server: QuietServer
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, format, *args) -> None:
        """Quiet: see StaticServer.requests()."""

    def _serve(self) -> None:
        owner = self.server.owner
        request_headers = {k.lower(): v for k, v in self.headers.items()}
        status, headers, body = owner.respond(self.path, request_headers)
        owner.record_request(self.command, self.path, status)
        size = body.stat().st_size if isinstance(body, Path) else len(body)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD" or status == 304:
            return
        if isinstance(body, Path):
            with body.open("rb") as f:
                shutil.copyfileobj(f, self.wfile)
        else:
            self.wfile.write(body)

    do_GET = do_HEAD = _serve

    def _not_allowed(self) -> None:
        self.server.owner.record_request(self.command, self.path, 405)
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True  # the request body, if any, is left unread

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed


StaticServer.handler = _Handler
StaticServer.thread_name = "static"
