"""The docs' performance charts, drawn from the bench's results (``bench/results.json``).

- ``first-visit-bytes.svg``: where a first visit's bytes go, per file of the dist, as the
  server sent them (compressed, headers included) to a fresh profile with the tracker;
- ``main-thread.svg``: the long tasks (≥ 50 ms) on the main thread during a cold and a
  warm boot of the tracker's page, a bare ``loadPyodide()`` and the page without the
  tracker, with the ``load`` event and ready marked.

Each chart draws one representative run (the median one) of the ``boot`` part's samples
and says when and where it ran. ``bench.run`` writes them after each run with ``boot``;
to redraw them from a results file without measuring again::

    python -m bench.charts bench/results.json [--out docs/assets/perf]

The SVGs are deterministic (fixed ids, no date), so redrawing the same results gives
the same files.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from bench.chart_data import (
    LONG_TASK_MS,
    PACKAGES_GROUP,
    PYODIDE_GROUP,
    ROWS,
    TRACKER_GROUP,
    ResultsError,
    boot_series,
    file_group,
    file_label,
    human_bytes,
    representative,
    when_where,
)

ROOT = Path(__file__).resolve().parent.parent
CHARTS_DIR = ROOT / "docs" / "assets" / "perf"
BYTES_SVG = "first-visit-bytes.svg"
MAIN_THREAD_SVG = "main-thread.svg"


#: Text as SVG text (small, searchable), fixed ids, one font everywhere.
STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "adtracker-bench-charts",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"],
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
TASK_COLOR, OTHER_RUNS_COLOR = "#c0392b", "#e6a19a"
LOAD_COLOR, READY_COLOR = "#555555", "#1e8449"
GROUP_COLORS = {TRACKER_GROUP: "#1e8449", PACKAGES_GROUP: "#e08a1e", PYODIDE_GROUP: "#2e6da4"}


def _heading(fig: Figure, title: str, subtitle: str) -> None:
    """Title and a two-line subtitle at the top, laid out in inches from the top edge."""
    height = fig.get_figheight()
    fig.text(0.01, 1 - 0.12 / height, title, fontsize=12, fontweight="bold", va="top")
    fig.text(0.01, 1 - 0.42 / height, subtitle, fontsize=8.5, color="#333333", va="top")


def _footer(fig: Figure, results: dict[str, Any], note: str) -> None:
    """When and where (two lines) and the source, at the bottom edge."""
    text = when_where(results).replace("; load average", ";\nload average", 1)
    fig.text(0.01, 0.08 / fig.get_figheight(), f"{text}.\n{note}", fontsize=8, color="#555555")


def short_label(label: str, width: int = 34) -> str:
    """``label`` cut in the middle to ``width`` characters."""
    if len(label) <= width:
        return label
    keep = width - 1
    return f"{label[: keep - keep // 2]}…{label[-(keep // 2) :]}"


def _axes(fig: Figure, left: float, right: float, top_in: float, bottom_in: float) -> Any:
    """Axes from ``left`` to ``right`` (fractions of the width), ``top_in`` and
    ``bottom_in`` inches from the top and bottom edges."""
    height = fig.get_figheight()
    bottom, top = bottom_in / height, 1 - top_in / height
    return fig.add_axes((left, bottom, right - left, top - bottom))


def bytes_figure(results: dict[str, Any]) -> Figure:
    """Where a first visit's bytes go: each dist file's bytes as sent to a fresh profile
    with the tracker (the run with the median total), largest first."""
    views = boot_series(results, "tracker_cold", ("bytes", "bytes_by_url", "requests_by_url"))
    run = representative(views, "bytes")
    view = views[run]
    files = sorted(view["bytes_by_url"].items(), key=lambda kv: (-kv[1], kv[0]))
    if not files:
        raise ResultsError("samples.boot.tracker_cold has no bytes per URL (no dist traffic)")
    total = sum(n for _, n in files)
    requests = sum(view["requests_by_url"].values())
    sizes = [n for _, n in files]
    ys = list(range(len(files)))

    with matplotlib.rc_context(STYLE):
        # 0.95 in for the heading, 1.2 in for the axis label and the footer
        fig = Figure(figsize=(9, 2.15 + 0.3 * len(files)))
        ax = _axes(fig, 0.33, 0.88, 0.95, 1.2)
        groups = [file_group(url) for url, _ in files]
        ax.barh(ys, sizes, color=[GROUP_COLORS[g] for g in groups], height=0.7)
        group_bytes = {g: 0 for g in GROUP_COLORS}
        for g, n in zip(groups, sizes, strict=True):
            group_bytes[g] += n
        ax.legend(
            handles=[
                Patch(color=GROUP_COLORS[g], label=f"{g}: {human_bytes(n)}")
                for g, n in sorted(group_bytes.items(), key=lambda gn: -gn[1])
                if n
            ],
            loc="lower right",
            frameon=False,
            fontsize=9,
        )
        ax.set_yticks(ys, [short_label(file_label(url)) for url, _ in files])
        ax.set_ylim(len(files) - 0.5, -0.5)
        unit, scale = ("MB", 1e6) if max(sizes) >= 1e6 else ("kB", 1e3)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / scale:g} {unit}"))
        ax.set_xlim(0, max(sizes) * 1.25)
        ax.set_xlabel("bytes on the wire per file (compressed, response headers included)")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for y, (url, n) in zip(ys, files, strict=True):
            asked = view["requests_by_url"].get(url, 0)
            share = f"{100 * n / total:.0f} %" if n / total >= 0.005 else "< 1 %"
            extra = f", {asked} requests" if asked > 1 else ""
            ax.text(
                n + max(sizes) * 0.01,
                y,
                f"{human_bytes(n)} ({share}{extra})",
                va="center",
                fontsize=8.5,
            )
        _heading(
            fig,
            f"Where a first visit's bytes go: {human_bytes(total)} in {requests} requests",
            "The tracker's files on a shopper's first page view (a fresh profile: empty caches), "
            "as the server sent them: tracker.js from /dist/,\nthe rest from its runtime "
            f"folder /dist/r-<hash>/. Run {run + 1} of {len(views)}, the one with the median "
            "total.",
        )
        _footer(fig, results, "Source: bench/views.py (python3 build.py bench).")
    return fig


def _mark(ax: Any, x: float | None, y: float, color: str, style: str) -> None:
    if x is not None:
        ax.plot([x, x], [y - 0.42, y + 0.42], color=color, linestyle=style, linewidth=1.6)


def _summary(tasks: list[list[float]]) -> str:
    if not tasks:
        return "no long tasks"
    longest = max(d for _, d in tasks)
    tbt = sum(max(0, d - LONG_TASK_MS) for _, d in tasks)
    count = f"{len(tasks)} task{'s' if len(tasks) > 1 else ''}"
    return f"longest {longest:,.0f} ms, TBT {tbt:,.0f} ms ({count})"


def main_thread_figure(results: dict[str, Any]) -> Figure:
    """The long tasks of each (page, cold/warm) boot on a timeline from navigation start:
    the run with the median ready in full, the other runs faint; ``load`` and ready
    marked."""
    keys = ("ready_ms", "load_ms", "tasks")
    rows = [(label, boot_series(results, series, keys)) for series, label in ROWS]
    end = 0.0
    for _, views in rows:
        for v in views:
            end = max([end, v["ready_ms"] or 0, v["load_ms"] or 0, *(s + d for s, d in v["tasks"])])
    runs = len(rows[0][1])

    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(11, 6))
        # 1.0 in for the heading; 1.8 in for the axis label, the legend and the footer
        ax = _axes(fig, 0.19, 0.75, 1.0, 1.8)
        for y, (label, views) in enumerate(rows):
            run = representative(views, "ready_ms")
            for i, v in enumerate(views):
                if i != run:
                    ax.broken_barh(
                        [(s, d) for s, d in v["tasks"]],
                        (y - 0.14, 0.28),
                        facecolors=OTHER_RUNS_COLOR,
                    )
            shown = views[run]
            ax.broken_barh(
                [(s, d) for s, d in shown["tasks"]],
                (y - 0.3, 0.6),
                facecolors=TASK_COLOR,
                edgecolor="white",
                linewidth=0.4,
            )
            _mark(ax, shown["load_ms"], y, LOAD_COLOR, ":")
            if not label.startswith("no tracker"):  # there, "ready" is the load event
                _mark(ax, shown["ready_ms"], y, READY_COLOR, "-")
            ax.text(
                1.015,
                y,
                _summary(shown["tasks"]),
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize=8.5,
            )
        ax.set_yticks(range(len(rows)), [label for label, _ in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xlim(0, end * 1.02)
        ax.set_xlabel("ms since navigation start (each view is its own navigation)")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for y in (1.5, 3.5):  # between the pages
            ax.axhline(y, color="#bbbbbb", linewidth=0.6)
        others = f"long tasks of the other {runs - 1} run{'s' if runs > 2 else ''}"
        ax.legend(
            handles=[
                Patch(color=TASK_COLOR, label="long task (≥ 50 ms) of the median-ready run"),
                *([Patch(color=OTHER_RUNS_COLOR, label=others)] if runs > 1 else []),
                Line2D([], [], color=LOAD_COLOR, linestyle=":", linewidth=1.6, label="load event"),
                Line2D(
                    [],
                    [],
                    color=READY_COLOR,
                    linewidth=1.6,
                    label="ready: adTracker.ready resolved (bare: loadPyodide() resolved)",
                ),
            ],
            loc="upper left",
            bbox_to_anchor=(0.01, 1.15 / fig.get_figheight()),
            bbox_transform=fig.transFigure,
            ncol=2,
            frameon=False,
            fontsize=8.5,
        )
        _heading(
            fig,
            "The main thread during a cold and a warm boot, with and without the tracker",
            "Long tasks (PerformanceObserver 'longtask') in plain headless Chromium, a fresh "
            "profile per run (cold: its first view; warm: the next view in the same profile),"
            f"\nfrom navigation until ready + 2 s; the run with the median ready of {runs} "
            "per row. Right: that run's longest task and Total Blocking Time.",
        )
        _footer(fig, results, "Source: bench/views.py, bench/pages.py (python3 build.py bench).")
    return fig


def save_svg(fig: Figure, path: Path) -> Path:
    """Writes ``fig`` as a deterministic SVG (fixed ids, no date)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(STYLE):
        fig.savefig(path, format="svg", metadata={"Date": None})
    return path


def write_charts(results: dict[str, Any], out: Path = CHARTS_DIR) -> list[Path]:
    """Draws both charts from ``results`` into ``out``; returns their paths."""
    figures = [(BYTES_SVG, bytes_figure(results)), (MAIN_THREAD_SVG, main_thread_figure(results))]
    return [save_svg(fig, out / name) for name, fig in figures]


def main(argv: list[str] | None = None) -> int:
    import json

    parser = argparse.ArgumentParser(
        prog="python -m bench.charts", description="Redraw the bench's charts from its results."
    )
    parser.add_argument(
        "results", nargs="?", type=Path, default=Path(__file__).parent / "results.json"
    )
    parser.add_argument("--out", type=Path, default=CHARTS_DIR, help="where the SVGs go")
    args = parser.parse_args(argv)
    try:
        written = write_charts(json.loads(args.results.read_text()), args.out)
    except ResultsError as e:
        parser.exit(1, f"{args.results}: {e}\n")
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
