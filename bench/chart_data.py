"""What the docs' charts read from the bench's results (bench/charts.py draws them): the
checks, the representative run, file names and owners, when and where it ran. No
plotting here."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

#: (samples series, row label), top to bottom.
ROWS: tuple[tuple[str, str], ...] = (
    ("tracker_cold", "tracker cold"),
    ("tracker_warm", "tracker warm"),
    ("bare_cold", "bare loadPyodide cold"),
    ("bare_warm", "bare loadPyodide warm"),
    ("plain_cold", "no tracker cold"),
    ("plain_warm", "no tracker warm"),
)
LONG_TASK_MS = 50

TRACKER_GROUP, PACKAGES_GROUP, PYODIDE_GROUP = (
    "the tracker's own code",
    "Python packages it needs",
    "the Pyodide runtime",
)


class ResultsError(ValueError):
    """The results lack what a chart needs."""


def boot_series(results: dict[str, Any], series: str, keys: tuple[str, ...]) -> list[dict]:
    """The ``boot`` samples of ``series`` (one view per run), each checked for ``keys``."""
    boot = (results.get("samples") or {}).get("boot")
    if not boot:
        raise ResultsError(
            "the results have no samples.boot: run the bench's boot part "
            "(python3 build.py bench --only boot) to draw the charts"
        )
    views = boot.get(series)
    if not views:
        raise ResultsError(f"the results have no samples.boot.{series} views")
    for i, view in enumerate(views):
        missing = [k for k in keys if k not in view]
        if missing:
            raise ResultsError(
                f"samples.boot.{series}[{i}] lacks {', '.join(missing)}: these results come "
                "from an older bench; run the boot part again (python3 build.py bench --only boot)"
            )
    return views


def representative(views: list[dict[str, Any]], key: str) -> int:
    """Index of the median view by ``key`` (the lower median for an even count; views
    without a value come last)."""
    order = sorted(range(len(views)), key=lambda i: (views[i][key] is None, views[i][key] or 0, i))
    return order[(len(order) - 1) // 2]


def human_bytes(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.2f} MB"
    if n >= 1e3:
        return f"{n / 1e3:.1f} kB"
    return f"{n:.0f} B"


def file_label(url: str) -> str:
    """A dist URL as a short name: the file's, a wheel's as ``name version (wheel)``."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    if wheel := re.fullmatch(r"([^-]+)-([^-]+)-.*\.whl", name):
        return f"{wheel[1]} {wheel[2]} (wheel)"
    return name


def file_group(url: str) -> str:
    """Whose file a dist URL is: the tracker's own (its loader, boot modules and wheel),
    a Python package it depends on (another wheel), or the Pyodide runtime."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    if name == "tracker.js" or (name.endswith(".mjs") and not name.startswith("pyodide")):
        return TRACKER_GROUP
    if name.endswith(".whl"):
        return TRACKER_GROUP if re.match(r"(ad)?tracker-", name) else PACKAGES_GROUP
    return PYODIDE_GROUP


def _load(values: list[float] | None) -> str:
    return ", ".join(f"{x:.2f}" for x in values) if values else "unknown"


def _utc(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")


def when_where(results: dict[str, Any]) -> str:
    """When and where the results were measured, for a chart's footer."""
    m = results.get("machine") or {}
    when = results.get("when")
    if not when or not m:
        raise ResultsError("the results lack 'when' and 'machine' (when and where they ran)")
    stamp = _utc(when).strftime("%Y-%m-%d %H:%M")
    if results.get("started"):  # older results say only when they ended
        start = _utc(results["started"])
        stamp = f"{start:%Y-%m-%d %H:%M}–{_utc(when):%H:%M}"
    return (
        f"Measured {stamp} UTC on {m.get('cpu', 'unknown CPU')}, {m.get('cores', '?')} cores, "
        f"{m.get('browser', 'unknown browser')}; load average (1, 5, 15 min) "
        f"{_load(m.get('load_average_start'))} at the start, "
        f"{_load(m.get('load_average_end'))} at the end"
    )
