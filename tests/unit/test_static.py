"""devserver.StaticServer over real HTTP on 127.0.0.1 (urllib / http.client only)."""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devserver import StaticServer

MOUNT = "/static/adt/dist/"
SECRET = "secret = 'must never be served'"

FILES = {
    "tracker.js": ("console.log('tracker')", "text/javascript"),
    "boot.mjs": ("export {}", "text/javascript"),
    "pyodide.asm.wasm": ("\0asm", "application/wasm"),
    "pyodide-lock.json": ('{"packages": {}}', "application/json"),
    "python_stdlib.zip": ("PK", "application/zip"),
    "adtracker-0.1.0-py3-none-any.whl": ("PK", "application/zip"),
    "index.html": ("<h1>__COLLECTOR_ORIGIN__</h1>", "text/html; charset=utf-8"),
    "tracker.d.ts": ("export declare const x: 1;", "text/plain"),
    "demo.css": ("body{}", "text/css"),
    "logo.svg": ("<svg/>", "image/svg+xml"),
    "logo.png": ("\x89PNG", "image/png"),
    "sub/index.html": ("<p>sub</p>", "text/html; charset=utf-8"),
    "sub/page.html": ("<a>__COLLECTOR_ORIGIN__ __X__</a>", "text/html; charset=utf-8"),
    "sub/raw.js": ("const o = '__COLLECTOR_ORIGIN__';", "text/javascript"),
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/dist with FILES, next to a tmp/pyproject.toml that must stay unreachable."""
    (tmp_path / "pyproject.toml").write_text(SECRET)
    root = tmp_path / "dist"
    for name, (text, _) in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode("latin-1"))
    return root


@pytest.fixture
def server(tree: Path) -> Iterator[StaticServer]:
    s = StaticServer(tree, mount=MOUNT, substitutions={"__COLLECTOR_ORIGIN__": "http://c:1"})
    s.start()
    try:
        yield s
    finally:
        s.stop()


def raw(server: StaticServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Send ``path`` byte for byte (no client-side normalisation, no redirect following)."""
    port = int(server.origin.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


@pytest.mark.parametrize(("name", "ctype"), [(n, c) for n, (_, c) in FILES.items()])
def test_content_types(server, name, ctype):
    status, headers, _ = get(server.url(MOUNT + name))
    assert status == 200
    assert headers["content-type"] == ctype
    assert headers["cache-control"] == "no-cache"


def test_files_are_served_under_the_mount_only(server):
    status, headers, body = get(server.url(MOUNT + "tracker.js"))
    assert (status, body) == (200, b"console.log('tracker')")
    assert headers["content-length"] == str(len(body))
    assert get(server.url("/tracker.js"))[0] == 404
    assert get(server.url("/static/adt/tracker.js"))[0] == 404
    status, headers, body = get(server.url(MOUNT + "tracker.js?v=123"))
    assert (status, headers["content-type"], body) == (200, "text/javascript", body)


def test_directory_serves_index_and_redirects_without_slash(server):
    assert get(server.url(MOUNT))[2] == b"<h1>http://c:1</h1>"
    assert get(server.url(MOUNT + "sub/"))[2] == b"<p>sub</p>"
    status, headers, _ = raw(server, MOUNT + "sub?x=1")
    assert (status, headers["location"]) == (301, MOUNT + "sub/?x=1")
    status, headers, _ = raw(server, MOUNT.rstrip("/"))
    assert (status, headers["location"]) == (301, MOUNT)
    assert raw(server, MOUNT + "tracker.js/")[0] == 404
    assert raw(server, MOUNT + "missing.js")[0] == 404


@pytest.mark.parametrize(
    "path",
    [
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/%2E%2E/pyproject.toml",
        MOUNT + "../pyproject.toml",
        MOUNT + "%2e%2e/pyproject.toml",
        MOUNT + "%2e%2e%2fpyproject.toml",
        MOUNT + "sub/%2e%2e/%2e%2e/pyproject.toml",
        MOUNT + "..%5cpyproject.toml",
        MOUNT + "%00/../pyproject.toml",
    ],
)
def test_path_traversal_is_refused(server, path):
    status, _, body = raw(server, path)
    assert status == 404
    assert SECRET.encode() not in body


def test_dot_segments_inside_root_are_harmless(server):
    assert raw(server, MOUNT + "./sub/./raw.js")[0] == 200


def test_substitutions_apply_to_html_only(server):
    assert get(server.url(MOUNT + "sub/page.html"))[2] == b"<a>http://c:1 __X__</a>"
    assert get(server.url(MOUNT + "sub/raw.js"))[2] == b"const o = '__COLLECTOR_ORIGIN__';"
    server.substitutions["__X__"] = "y"
    assert get(server.url(MOUNT + "sub/page.html"))[2] == b"<a>http://c:1 y</a>"


def test_add_page_with_custom_headers(server):
    csp = "script-src 'self'; connect-src http://c:1"
    url = server.add_page(
        "/shop/a.html", "<p>__COLLECTOR_ORIGIN__</p>", {"Content-Security-Policy": csp}
    )
    assert url == server.origin + "/shop/a.html"
    status, headers, body = get(url + "?q=1")
    assert (status, body) == (200, b"<p>http://c:1</p>")
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"] == csp
    assert get(server.url("/shop/b.html"))[0] == 404
    server.add_page("/shop/a.html", "<p>v2</p>")
    status, headers, body = get(url)
    assert body == b"<p>v2</p>"
    assert "content-security-policy" not in headers


def test_add_dir_serves_another_folder(server, tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "index.html").write_text("<p>demo __COLLECTOR_ORIGIN__</p>")
    server.add_dir("/demo", demo)
    assert get(server.url("/demo/"))[2] == b"<p>demo http://c:1</p>"
    assert get(server.url("/demo/tracker.js"))[0] == 404
    assert get(server.url(MOUNT + "tracker.js"))[0] == 200


def test_docs_site_directory_urls_served_verbatim(server, tmp_path):
    """`serve` mounts the mkdocs site at /docs/: its directory URLs (``/docs/embedding/``)
    serve that folder's index.html, and its pages, which quote the placeholders, are
    served without the substitutions."""
    site = tmp_path / "docs-site"
    (site / "embedding").mkdir(parents=True)
    (site / "index.html").write_text("<p>home</p>")
    (site / "embedding" / "index.html").write_text("<p>no __COLLECTOR_ORIGIN__ here</p>")
    server.add_dir("/docs/", site, substitute=False)
    assert get(server.url("/docs/"))[2] == b"<p>home</p>"
    assert get(server.url("/docs/embedding/"))[2] == b"<p>no __COLLECTOR_ORIGIN__ here</p>"
    status, headers, _ = raw(server, "/docs/embedding")
    assert (status, headers["location"]) == (301, "/docs/embedding/")
    assert get(server.url(MOUNT + "index.html"))[2] == b"<h1>http://c:1</h1>"  # others still


def test_fail_path(server):
    server.fail_path("pyodide.asm.wasm", 503)
    server.fail_path("/missing-on-purpose.js")
    assert get(server.url(MOUNT + "pyodide.asm.wasm"))[0] == 503
    assert get(server.url(MOUNT + "pyodide.asm.wasm?v=1"))[0] == 503
    assert get(server.url(MOUNT + "tracker.js"))[0] == 200
    assert get(server.url("/missing-on-purpose.js"))[0] == 404


def test_requests_log(server):
    get(server.url(MOUNT + "tracker.js?v=1"))
    get(server.url("/nope"))
    raw(server, MOUNT + "tracker.js", method="HEAD")
    raw(server, MOUNT + "tracker.js", method="POST")
    assert server.requests() == [
        ("GET", MOUNT + "tracker.js?v=1", 200),
        ("GET", "/nope", 404),
        ("HEAD", MOUNT + "tracker.js", 200),
        ("POST", MOUNT + "tracker.js", 405),
    ]
    assert server.requests()[0].path == MOUNT + "tracker.js?v=1"


def test_head_has_headers_but_no_body(server):
    status, headers, body = raw(server, MOUNT + "pyodide-lock.json", method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["content-length"] == str(len(b'{"packages": {}}'))
    assert headers["content-type"] == "application/json"


def test_other_methods_are_405(server):
    status, headers, _ = raw(server, MOUNT + "tracker.js", method="DELETE")
    assert (status, headers["allow"]) == (405, "GET, HEAD")


def test_server_wide_headers_override_defaults(tree):
    extra = {"cache-control": "max-age=60", "Cross-Origin-Opener-Policy": "same-origin"}
    with StaticServer(tree, headers=extra) as s:
        status, headers, _ = get(s.url("/tracker.js"))
        assert status == 200
        assert headers["cache-control"] == "max-age=60"
        assert headers["cross-origin-opener-policy"] == "same-origin"
        assert get(s.url("/nope"))[1]["cache-control"] == "max-age=60"


def test_root_mount_and_loopback_origin(tree):
    with StaticServer(tree) as s:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", s.origin)
        assert get(s.url("/tracker.js"))[2] == b"console.log('tracker')"
        assert get(s.url("/"))[2] == b"<h1>__COLLECTOR_ORIGIN__</h1>"  # no substitutions given
