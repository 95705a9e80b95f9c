"""Page views in plain headless Chromium: no DevTools protocol, no tracing, a real profile.

Each run starts Chromium on a fresh ``--user-data-dir`` (a first-time shopper): the first
view is cold; the harness page then opens the same page again in the same browser and
profile (the shopper's next page view: HTTP cache, Cache Storage and code caches as a
real visitor has them), which is warm. The page reports its own figures to the server
(see ``bench.pages.HARNESS``); the server counts the dist's bytes on the wire, Workers'
requests included.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.pages import REPORT_PATH, Site
from bench.stats import median
from devserver.chromium import LAUNCH_ARGS, SYSTEM_CHROMIUM

VIEW_TIMEOUT_S = 180
#: The tracker's storefront page, a bare loadPyodide() page, the storefront without the tracker.
VARIANTS = ("tracker", "bare", "plain")
#: How long the shopper stays on the first page after ready, in ms, before the next one
#: opens: the moment ready resolves, and 3 s (the plain "warm" view waits until stored).
STAYS_MS = (0, 3000)


def chromium_path() -> str:
    """Debian's Chromium; elsewhere Playwright's own (``build.py`` installs one)."""
    if SYSTEM_CHROMIUM.exists():
        return str(SYSTEM_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        return p.chromium.executable_path


def chromium_version() -> str:
    done = subprocess.run([chromium_path(), "--version"], capture_output=True, text=True)
    return " ".join(done.stdout.split()[:2]) or "Chromium (unknown version)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ends the Chromium we started and its children (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def per_view(entries: list[tuple[str, int]], views: int) -> list[list[tuple[str, int]]]:
    """Split (URL, n) entries, in server order, into views at each harness report: a page
    opens its next view only once its report was answered, so nothing of a later view
    comes before it (each report's URL is unique). Keeps the entries of the dist's files."""
    out: list[list[tuple[str, int]]] = [[] for _ in range(views)]
    reports: set[str] = set()
    for url, n in entries:
        path = urlsplit(url).path
        if path == REPORT_PATH:
            reports.add(url)
        elif path.startswith("/dist/") and len(reports) < views:
            out[len(reports)].append((url, n))
    return out


def by_url(entries: list[tuple[str, int]]) -> dict[str, int]:
    """The n of each URL summed, in the order the URLs first came."""
    out: dict[str, int] = {}
    for url, n in entries:
        out[url] = out.get(url, 0) + n
    return out


def profile_views(site: Site, path: str) -> list[dict[str, Any]]:
    """[cold, warm] figures of ``path`` in a fresh profile, each with the dist bytes and
    requests it cost, in all and per URL (``bytes_by_url``, ``requests_by_url``), and the
    harness's long tasks (``tasks``: [start, duration] in ms since navigation start)."""
    with tempfile.TemporaryDirectory(
        prefix="bench-profile-", ignore_cleanup_errors=True
    ) as profile:
        seen = len(site.reports())
        logged, written = len(site.server.requests()), len(site.server.writes())
        proc = subprocess.Popen(
            [chromium_path(), *LAUNCH_ARGS, f"--user-data-dir={profile}", site.url(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + VIEW_TIMEOUT_S
            while len(views := site.reports()[seen:]) < 2:
                if views and views[0]["error"]:
                    break
                if proc.poll() is not None:
                    raise RuntimeError(f"Chromium exited ({proc.returncode}) during {path}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{path}: no report within {VIEW_TIMEOUT_S} s")
                time.sleep(0.05)
        finally:
            _stop(proc)
    for view in views:
        if view["error"]:
            raise RuntimeError(f"{path} view {view['view']}: {view['error']}")
    logged_now = site.server.requests()[logged:]
    requests = [(r.path, 1) for r in logged_now]
    heads = [(r.path, 1) if r.method == "HEAD" else (r.path, 0) for r in logged_now]
    writes = site.server.writes()[written:]
    split = zip(views, per_view(writes, 2), per_view(requests, 2), per_view(heads, 2), strict=True)
    for view, sent, asked, headed in split:
        view["bytes"] = sum(n for _, n in sent)
        view["requests"] = len(asked)
        view["bytes_by_url"] = by_url(sent)  # headers and body, as sent
        view["requests_by_url"] = by_url(asked)  # HEAD requests included …
        view["heads_by_url"] = {u: n for u, n in by_url(headed).items() if n}  # … and these
    return views


def view_figures(site: Site, runs: int) -> dict[str, Any]:
    """Ready, long tasks, TBT, bytes and memory of the tracker's page against a bare
    ``loadPyodide()`` and the same page without the tracker, cold and warm, medians over
    ``runs`` fresh profiles."""
    got: dict[str, list[dict[str, Any]]] = {}
    for run in range(runs):
        for name in VARIANTS:
            cold, warm = profile_views(site, f"/views/{name}.html")
            print(
                f"[bench]   boot {run + 1}/{runs} {name}: ready {cold['ready_ms']:.0f} ms cold, "
                f"{warm['ready_ms']:.0f} ms warm; longest task {cold['longest_task_ms']:.0f} / "
                f"{warm['longest_task_ms']:.0f} ms",
                flush=True,
            )
            got.setdefault(f"{name}_cold", []).append(cold)
            got.setdefault(f"{name}_warm", []).append(warm)
        _next_page_views(site, f"boot {run + 1}/{runs}", got)

    def med(series: str, key: str) -> float:
        return median([v[key] for v in got[series] if v[key] is not None])

    figures: dict[str, Any] = {}
    for phase in ("cold", "warm"):
        ready, bare = med(f"tracker_{phase}", "ready_ms"), med(f"bare_{phase}", "ready_ms")
        figures |= {
            f"ready_{phase}_ms": ready,
            f"bare_{phase}_ms": bare,
            f"ready_over_bare_{phase}": ready / bare,
            f"longest_task_{phase}_ms": med(f"tracker_{phase}", "longest_task_ms"),
            f"tbt_{phase}_ms": med(f"tracker_{phase}", "tbt_ms"),
            f"bare_longest_task_{phase}_ms": med(f"bare_{phase}", "longest_task_ms"),
            f"bare_tbt_{phase}_ms": med(f"bare_{phase}", "tbt_ms"),
            f"plain_longest_task_{phase}_ms": med(f"plain_{phase}", "longest_task_ms"),
            f"plain_tbt_{phase}_ms": med(f"plain_{phase}", "tbt_ms"),
            f"bytes_{phase}": med(f"tracker_{phase}", "bytes"),
        }
    figures |= _next_page_figures(got, figures["bare_warm_ms"])
    views = got["tracker_cold"] + got["tracker_warm"]
    figures |= {
        "long_tasks_before_load": max(v["long_tasks_before_load"] for v in views),
        "plain_long_tasks_before_load": max(
            v["long_tasks_before_load"] for v in got["plain_cold"] + got["plain_warm"]
        ),
        "warm_requests_with_bytes": max(v["requests"] for v in got["tracker_warm"]),
        "wasm_memory_bytes": med("tracker_cold", "wasm_memory_bytes"),
        "wasm_memory_warm_bytes": med("tracker_warm", "wasm_memory_bytes"),
        # Read on the next view, so the first visit's writes are all in.
        "cache_storage_bytes": med("tracker_warm", "cache_bytes"),
        "samples_boot": got,
    }
    return figures


def _next_page_views(site: Site, label: str, got: dict[str, list[dict[str, Any]]]) -> None:
    """The warm view of a next page opened STAYS_MS after the first page's ready."""
    for stay in STAYS_MS:
        _, warm = profile_views(site, f"/views/tracker.html?stay={stay}")
        print(
            f"[bench]   {label} next page {stay / 1000:g} s after ready: "
            f"ready {warm['ready_ms']:.0f} ms ({warm['boot_path']})",
            flush=True,
        )
        got.setdefault(f"tracker_next_{stay}ms", []).append(warm)


def _next_page_figures(
    got: dict[str, list[dict[str, Any]]], bare_warm_ms: float, host: str = ""
) -> dict[str, Any]:
    """Median ready of each next-page series, over a bare warm loadPyodide(); ``host``
    is the keys' suffix (``_no_cache``)."""
    out: dict[str, Any] = {}
    for stay in STAYS_MS:
        series = got[f"tracker_next_{stay}ms"]
        ready = median([v["ready_ms"] for v in series if v["ready_ms"] is not None])
        out |= {
            f"ready_next_{stay}ms{host}_ms": ready,
            f"ready_over_bare_next_{stay}ms{host}": ready / bare_warm_ms,
            f"next_{stay}ms{host}_from_cache": sum(v["boot_path"] == "cache" for v in series),
            f"next_{stay}ms{host}_views": len(series),
        }
    return out


def no_cache_next_page_figures(dist: Path, runs: int) -> dict[str, Any]:
    """The next-page figures on a host that sends ``no-cache`` (every file revalidated),
    against a bare loadPyodide()'s warm view from the same host, medians over ``runs``."""
    site = Site(dist, cache="no-cache")
    got: dict[str, list[dict[str, Any]]] = {}
    try:
        for run in range(runs):
            _, bare = profile_views(site, "/views/bare.html")
            got.setdefault("bare_warm", []).append(bare)
            _next_page_views(site, f"no-cache host {run + 1}/{runs}", got)
    finally:
        site.close()
    bare_warm = median([v["ready_ms"] for v in got["bare_warm"]])
    return {
        "bare_warm_no_cache_ms": bare_warm,
        **_next_page_figures(got, bare_warm, "_no_cache"),
        "samples_boot_no_cache": got,
    }
