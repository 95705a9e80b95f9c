"""``bench/results.md``: the figures as tables for the README (the targets: bench.targets)."""

from __future__ import annotations

import math
from typing import Any

from bench.soak_report import soak_rows
from bench.targets import TARGETS

#: The next-page rows: (stay in ms, the figures' host suffix) → the row's host.
_NEXT_PAGES = {
    (s, h): w for h, w in (("", ""), ("_no_cache", ", no-cache host")) for s in (0, 3000)
}


def _ms(v: float) -> str:
    return f"{v:,.0f} ms"


def _bytes(v: float) -> str:
    return f"{v / 1e6:.2f} MB" if v >= 1e5 else f"{v / 1e3:.1f} kB"


def _signed(v: float, unit: str = "") -> str:
    return f"{'+' if v > 0 else '−' if v < 0 else '±'}{abs(v):,.0f}{unit}"


def lighthouse_rows(f: dict[str, Any]) -> list[str]:
    rows = []
    for ff in ("desktop", "mobile"):
        if f"lh_{ff}_with_score" not in f:
            continue
        shown = [
            ("score", "performance score", lambda v: f"{v:.0f}", ""),
            ("tbt_ms", "Total Blocking Time", _ms, " ms"),
            ("longest_task_ms", "longest main-thread task (simulated, capped at 10 s)", _ms, " ms"),
            ("observed_longest_task_ms", "longest main-thread task (observed)", _ms, " ms"),
            ("long_tasks", "long tasks", lambda v: f"{v:.0f}", ""),
            ("main_thread_ms", "main-thread work", _ms, " ms"),
            ("total_bytes", "total transfer", _bytes, ""),
        ]
        for key, label, fmt, unit in shown:
            without, with_ = f[f"lh_{ff}_without_{key}"], f[f"lh_{ff}_with_{key}"]
            delta = f[f"lh_{ff}_delta_{key}"]
            if key == "total_bytes":
                d = ("+" if delta >= 0 else "−") + _bytes(abs(delta))
            else:
                d = _signed(delta, unit)
            rows.append(f"| {ff}: {label} | {fmt(without)} | {fmt(with_)} | {d} |")
    if not rows:
        return []
    return [
        "| Lighthouse 12 | without the tracker | with the tracker | with − without |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def chromium_rows(f: dict[str, Any]) -> list[str]:
    rows: list[tuple[str, str, str, str]] = []
    if "ready_cold_ms" in f:
        for phase in ("cold", "warm"):
            rows += [
                (
                    f"(a) ready, {phase} (from navigation)",
                    _ms(f[f"ready_{phase}_ms"]),
                    f"bare loadPyodide {_ms(f[f'bare_{phase}_ms'])}",
                    f"{f[f'ready_over_bare_{phase}']:.2f}×",
                ),
                (
                    f"(c) longest main-thread task, {phase}",
                    _ms(f[f"longest_task_{phase}_ms"]),
                    f"bare loadPyodide {_ms(f[f'bare_longest_task_{phase}_ms'])}; "
                    f"page without tracker {_ms(f[f'plain_longest_task_{phase}_ms'])}",
                    "",
                ),
                (
                    f"(c) TBT until ready + settle, {phase}",
                    _ms(f[f"tbt_{phase}_ms"]),
                    f"bare loadPyodide {_ms(f[f'bare_tbt_{phase}_ms'])}; "
                    f"page without tracker {_ms(f[f'plain_tbt_{phase}_ms'])}",
                    "",
                ),
            ]
    for (stay, host), where in _NEXT_PAGES.items():
        if f"ready_next_{stay}ms{host}_ms" in f:
            rows.append(
                (
                    f"(a) ready, next page opened {stay / 1000:g} s after ready{where}",
                    _ms(f[f"ready_next_{stay}ms{host}_ms"]),
                    f"bare loadPyodide {_ms(f[f'bare_warm{host}_ms'])} (warm); "
                    f"{f[f'next_{stay}ms{host}_from_cache']} of {f[f'next_{stay}ms{host}_views']} "
                    "from the cache",
                    f"{f[f'ready_over_bare_next_{stay}ms{host}']:.2f}×",
                )
            )
    for tag, cpu in (("", ""), ("_4x", ", 4× CPU")):
        if f"click{tag}_median_ms" not in f:
            continue
        rounds = " / ".join(f"{r:.2f}×" for r in f.get(f"click{tag}_over_js_rounds", []))
        rows += [
            (
                f"(b) click handler{cpu}, median",
                f"{f[f'click{tag}_median_ms']:.3f} ms",
                f"JS handler {f[f'click{tag}_js_median_ms']:.3f} ms",
                f"{f[f'click{tag}_over_js_median']:.2f}×"
                + (f" (rounds {rounds})" if rounds else ""),
            ),
            (
                f"(b) click handler{cpu}, p99",
                f"{f[f'click{tag}_p99_ms']:.3f} ms",
                f"JS handler {f[f'click{tag}_js_p99_ms']:.3f} ms",
                "",
            ),
        ]
    if "ready_cold_ms" in f:
        memory = f["wasm_memory_bytes"]
        rows += [
            (
                "(c) long tasks before load (any view)",
                f"{f['long_tasks_before_load']}",
                f"page without tracker {f['plain_long_tasks_before_load']}",
                "",
            ),
            ("(d) bytes, cold", _bytes(f["bytes_cold"]), "", ""),
            (
                "(d) Cache Storage kept after a first visit",
                _bytes(f["cache_storage_bytes"]) if "cache_storage_bytes" in f else "not measured",
                "the snapshot's entry, as the next view finds it",
                "",
            ),
            (
                "(d) bytes, warm",
                _bytes(f["bytes_warm"]),
                f"{f['warm_requests_with_bytes']} request(s) reached the server",
                "",
            ),
            (
                "(f) WebAssembly memory after boot",
                "not seen" if math.isnan(memory) else f"{memory / 2**20:.0f} MiB",
                "",
                "",
            ),
        ]
    for name, mbps, rtt in f.get("networks", []):
        for phase in ("cold", "warm"):
            rows.append(
                (
                    f"(a) ready {phase}, over {mbps:g} Mbps / {rtt:g} ms",
                    _ms(f[f"network_{name}_ready_{phase}_ms"]),
                    f"bare loadPyodide {_ms(f[f'network_{name}_bare_{phase}_ms'])}",
                    f"{f[f'network_{name}_ready_over_bare_{phase}']:.2f}×",
                )
            )
    if "storage_bytes_after_clicks" in f:
        label = f"(e) localStorage after {f['storage_clicks']:,} clicks"
        rows.append((label, f"{f['storage_bytes_after_clicks'] / 1024:.1f} KiB", "", ""))
    return [
        "| plain headless Chromium | tracker | baseline (same run) | ratio |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
    ]


def phone_rows(f: dict[str, Any]) -> list[str]:
    if "phone_tbt_cold_ms" not in f:
        return []
    rows = [
        f"| Chromium, CPU {f['phone_cpu_rate']}× slower, whole boot | tracker "
        "| page without tracker |",
        "|---|---|---|",
    ]
    for phase in ("cold", "warm"):
        for key, label in (("longest_task", "longest task"), ("tbt", "TBT"), ("ready", "ready")):
            rows.append(
                f"| {label}, {phase} | {_ms(f[f'phone_{key}_{phase}_ms'])} "
                f"| {_ms(f[f'phone_plain_{key}_{phase}_ms'])} |"
            )
    return [*rows, ""]


def engine_rows(f: dict[str, Any]) -> list[str]:
    engines = [e for e in ("chromium", "firefox", "webkit") if f"{e}_stall_cold_ms" in f]
    if not engines:
        return []
    rows = [
        "| engine (heartbeat) | ready, cold | ready, warm | stall added, cold | "
        "stall added, warm |",
        "|---|---|---|---|---|",
    ]
    for e in engines:
        rows.append(
            f"| {e} | {_ms(f[f'{e}_ready_cold_ms'])} | {_ms(f[f'{e}_ready_warm_ms'])} "
            f"| {_ms(f[f'{e}_stall_cold_ms'])} | {_ms(f[f'{e}_stall_warm_ms'])} |"
        )
    return [*rows, ""]


def host_rows(f: dict[str, Any]) -> list[str]:
    """A first visit per file on each kind of host: bytes (requests; HEADs apart)."""
    kinds = [k for k in ("advised", "no_cache", "plain") if f"host_{k}" in f]
    if not kinds:
        return []
    hosts = {k: f[f"host_{k}"] for k in kinds}
    files = sorted(
        {u for h in hosts.values() for u in h["requests_by_url"]},
        key=lambda u: -max(h["bytes_by_url"].get(u, 0) for h in hosts.values()),
    )
    lines = [
        "First visit per file (bytes on the wire, headers included; requests, HEAD apart):",
        "",
        "| file | " + " | ".join(kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for url in files:
        cells = []
        for h in hosts.values():
            asked, heads = h["requests_by_url"].get(url, 0), h["heads_by_url"].get(url, 0)
            shown = (
                "—" if not asked else f"{_bytes(h['bytes_by_url'].get(url, 0))} ({asked - heads}"
            )
            cells.append(shown if not asked else shown + (f" + {heads} HEAD)" if heads else ")"))
        lines.append(f"| `{url.removeprefix('/dist/')}` | " + " | ".join(cells) + " |")
    totals = [f"**{_bytes(h['bytes'])}** ({h['requests']})" for h in hosts.values()]
    twice = [
        ", ".join(u.rsplit("/", 1)[-1] for u in h["fetched_twice"]) or "none"
        for h in hosts.values()
    ]
    lines += [
        "| **total** | " + " | ".join(totals) + " |",
        "| fetched twice (GET) | " + " | ".join(twice) + " |",
        "",
    ]
    return lines


def table(results: dict[str, Any]) -> str:
    f, m = results["figures"], results["machine"]
    load = ", ".join(f"{x:.2f}" for x in m.get("load_average_start") or [])
    load_end = ", ".join(f"{x:.2f}" for x in m.get("load_average_end") or [])
    lines = [
        f"Median of {results['runs']} runs ({f.get('click_rounds', 1)} × "
        f"{f.get('clicks_measured', 0)} clicks per handler and CPU speed for (b)), "
        f"{results['seconds']:.0f} s in all; {m['cpu']}, {m['cores']} cores, {m['browser']}; "
        f"load average (1, 5, 15 min) {load} at the start, {load_end} at the end.",
        "",
        *lighthouse_rows(f),
        *chromium_rows(f),
        *phone_rows(f),
        *engine_rows(f),
        *soak_rows(f),
        *host_rows(f),
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for key, limit, label in TARGETS:
        value = f.get(key)
        met = results["targets"][key]["met"]
        shown = "not measured" if met is None else f"{value:,.2f}".rstrip("0").rstrip(".")
        verdict = {True: "yes", False: "no", None: "—"}[met]
        bound = f"{limit:,}" if isinstance(limit, int) else f"{limit:g}"
        lines.append(f"| {label} ≤ {bound} | {shown} | {verdict} |")
    return "\n".join(lines)
