"""URL and origin checks: which beacon URLs may be sent to (pure, no I/O).

The URL itself is never changed: it is sent byte for byte as the host gave it,
so these checks only *accept or refuse*. Parsing is deliberately stricter than a
browser's: anything a browser might read differently from ``urllib`` (spaces,
backslashes, control characters, credentials) is refused outright.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from adtracker.base.limits import MAX_URL_CHARS

_DEFAULT_PORTS = {"http": 80, "https": 443}


# Anything outside printable ASCII, and the backslash (browsers read it as "/").
_BAD_CHAR = re.compile(r"[^\x21-\x7e]|\\")


def _bad_char(text: str) -> str | None:
    found = _BAD_CHAR.search(text)
    return found.group() if found else None


def normalize_origin(raw: object) -> str | None:
    """``scheme://host[:port]`` in canonical form (lowercase, no default port), or None.

    Accepts a bare origin, optionally with a trailing ``/``; refuses paths,
    queries, credentials and non-http(s) schemes.
    """
    if not isinstance(raw, str) or not raw or len(raw) > 2048 or _bad_char(raw):
        return None
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or raw.endswith("?"):
        return None
    return _origin_of(parts.scheme, parts.hostname.lower(), port)


def _origin_of(scheme: str, hostname: str, port: int | None) -> str:
    host = f"[{hostname}]" if ":" in hostname else hostname  # urlsplit lowercases it
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_of(url: str) -> str:
    """The origin of a URL that :func:`check_beacon_url` accepted (``""`` if it has none)."""
    try:
        parts = urlsplit(url)
        return _origin_of(parts.scheme.lower(), parts.hostname or "", parts.port)
    except (ValueError, KeyError):
        return ""


@dataclass(frozen=True, slots=True)
class UrlVerdict:
    ok: bool
    reason: str = ""


def check_beacon_url(raw: object, allowed_origins: tuple[str, ...] | frozenset[str]) -> UrlVerdict:
    """May a beacon be POSTed to ``raw`` exactly as given?"""
    if not isinstance(raw, str):
        return UrlVerdict(False, f"the ad URL is not text ({type(raw).__name__})")
    if raw == "":
        return UrlVerdict(False, "the ad URL is empty")
    if len(raw) > MAX_URL_CHARS:
        return UrlVerdict(
            False, f"the ad URL is {len(raw)} characters long (limit {MAX_URL_CHARS})"
        )
    if raw != raw.strip():
        return UrlVerdict(
            False,
            "the ad URL has leading or trailing whitespace; it is sent verbatim or not at all",
        )
    bad = _bad_char(raw)
    if bad is not None:
        return UrlVerdict(
            False, f"the ad URL contains the character {bad!r}, which is not allowed unencoded"
        )
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        return UrlVerdict(False, f"the ad URL does not parse ({exc})")
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        if not scheme:
            return UrlVerdict(False, "the ad URL is not absolute (relative or protocol-relative)")
        return UrlVerdict(False, f"the ad URL scheme {scheme!r} is not http or https")
    if not raw.lower().startswith(scheme + "://") or not parts.hostname:
        return UrlVerdict(False, "the ad URL is not an absolute http(s) URL with a host")
    if "@" in parts.netloc:
        return UrlVerdict(False, "the ad URL carries credentials (user:password@); refused")
    origin = _origin_of(scheme, parts.hostname, parts.port)
    if origin not in allowed_origins:
        return UrlVerdict(False, f"origin {origin} is not in data-beacon-origins")
    return UrlVerdict(True)
