"""HTTP caching and precompression rules of the production-like serve mode (pure).

- Files under a content-hashed runtime folder (``r-<hex>/``, see build.py) never change:
  ``Cache-Control: public, max-age=31536000, immutable`` — a warm page load makes no
  request for them at all.
- Everything else (``tracker.js``, pages) is ``no-cache`` with an ``ETag``: a warm load
  revalidates it with one small request that answers ``304 Not Modified``.
- A precompressed sibling (``.br``, else ``.gz``) is sent when the client accepts it.
"""

from __future__ import annotations

import re
from pathlib import Path

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HASHED_DIR = re.compile(r"/r-[0-9a-f]{8,}/")
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))


def cache_control(url_path: str) -> str:
    return IMMUTABLE if _HASHED_DIR.search(url_path) else REVALIDATE


def etag(path: Path) -> str:
    stat = path.stat()
    return f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'


def not_modified(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return tag in candidates or "*" in candidates


def accepted_encodings(header: str | None) -> set[str]:
    out = set()
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        if name and "q=0" not in params.replace(" ", "").replace("q=0.", "q=x"):
            out.add(name.strip().lower())
    return out


def precompressed(path: Path, accept_encoding: str | None) -> tuple[Path, str | None]:
    """The file to send and its Content-Encoding (None: as is)."""
    accepted = accepted_encodings(accept_encoding)
    for name, suffix in ENCODINGS:
        sibling = path.with_name(path.name + suffix)
        if name in accepted and sibling.is_file():
            return sibling, name
    return path, None
