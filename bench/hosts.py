"""A first visit on the three kinds of host (``python3 build.py bench``'s ``hosts`` part).

The same storefront page, in a fresh profile, with the dist served three ways
(devserver.static.CACHE_MODES): as the docs advise (``production``: precompressed
``.br``/``.gz``, immutable runtime), compressed but ``no-cache`` (a host that ignores the
caching advice), and neither (``dev``, like ``python3 -m http.server``). For each: bytes
on the wire in all and per file, requests per URL (HEAD asked apart), and the URLs asked
for more than once with GET. Byte counts are deterministic; nothing here is timed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.pages import Site
from bench.views import profile_views

#: The kinds of host, by the StaticServer cache mode that plays them.
HOSTS = {"advised": "production", "no_cache": "no-cache", "plain": "dev"}


def first_visit(view: dict[str, Any]) -> dict[str, Any]:
    """A cold view's transfer figures, with the URLs fetched (GET) more than once."""
    heads = view["heads_by_url"]
    gets = {u: n - heads.get(u, 0) for u, n in view["requests_by_url"].items()}
    return {
        "bytes": view["bytes"],
        "requests": view["requests"],
        "bytes_by_url": view["bytes_by_url"],
        "requests_by_url": view["requests_by_url"],
        "heads_by_url": heads,
        "fetched_twice": {u: n for u, n in gets.items() if n > 1},
    }


def host_figures(dist: Path) -> dict[str, Any]:
    """``host_<kind>``: a first visit's transfer on each kind of host, and its total in
    ``bytes_cold_<kind>``."""
    out: dict[str, Any] = {}
    for kind, mode in HOSTS.items():
        site = Site(dist, cache=mode)
        try:
            cold, _warm = profile_views(site, "/views/tracker.html")
        finally:
            site.close()
        figures = first_visit(cold)
        out[f"host_{kind}"] = figures
        out[f"bytes_cold_{kind}"] = figures["bytes"]
        twice = ", ".join(
            f"{u.rsplit('/', 1)[-1]} ×{n}" for u, n in figures["fetched_twice"].items()
        )
        print(
            f"[bench]   hosts {kind}: {figures['bytes'] / 1e6:.2f} MB in "
            f"{figures['requests']} requests; fetched twice: {twice or 'none'}",
            flush=True,
        )
    return out
