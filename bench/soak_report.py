"""Counting a soak session (``bench.soak``) exactly, from what the collector received and
what the tracker held back; pure, so the counting has tests of its own
(tests/unit/test_soak_report.py).

- **Accepted exactly once**: the collector's accepted copies of each expected path.
- **Copies** (accepted more than once) are allowed only for an event the tracker reported
  ``failed``: the documented trade-off. Each is counted by the cause of its failure:
  ``timed out`` (no answer within the attempt's timeout), ``connection lost`` (a network
  error: the connection went down under the request), or ``answered 5xx`` (a 500, 502 or
  504: the server may have counted it before failing). Any other copy is a double.
- **The drain after an outage**: for each round, how long after its outage ended (the
  collector's last faulty answer of the round, or the last return online) the last event
  it held back (``failed`` or ``queued``) was first accepted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from adtracker.base import keys
from adtracker.base.limits import MAX_MARKS, MAX_OUTBOX_CHARS, MAX_OUTBOX_ENTRIES
from adtracker.events.marks import PRUNE_EVERY

CAUSES = ("timed out", "connection lost", "answered 5xx")


@dataclass
class Expected:
    """What the collector must accept, each exactly once (paths with query)."""

    paths: set[str] = field(default_factory=set)

    def add(self, kind: str, ad_id: str) -> None:
        self.paths.add(f"/v1/beacon/{kind}/{ad_id}?pos=1")


def path_of(url: str) -> str:
    """What the collector records of a URL: its path and query."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@dataclass
class Session:
    """What one soak session did (``bench.soak.run_soak`` fills it in)."""

    plan_rounds: int
    route_changes: int
    expected: Expected
    received: list[Any]  # devserver.collector.Received: path, status, received_at, faulted
    rounds: list[tuple[str, float, float]]  # (fault, began, ended), epoch seconds
    online_at: list[float]  # each return online, epoch seconds
    slow_s: float
    held: list[list[Any]]  # [url, "failed" | "queued", reason, epoch ms] from each tab
    storage: list[list[Any]]  # [key, length] of every adtracker: key at the end
    tabs: int


def cause_of(reasons: list[str]) -> str | None:
    """Why a failed event's fate was unknown (None: every failure said "not processed")."""
    if any(r.startswith("timed out") for r in reasons):
        return "timed out"
    if any(r.startswith("network error") for r in reasons):
        return "connection lost"
    if any(r.startswith(("HTTP 500", "HTTP 502", "HTTP 504")) for r in reasons):
        return "answered 5xx"
    return None


def copies(session: Session) -> dict[str, Any]:
    """Missing, unexpected, doubled, and the copies after a failed attempt by cause."""
    counts = Counter(e.path for e in session.received if 200 <= e.status < 300)
    failures: dict[str, list[str]] = {}
    for url, outcome, reason, _ in session.held:
        if outcome == "failed":
            failures.setdefault(path_of(url), []).append(reason)
    by_cause: Counter[str] = Counter()
    doubled = []
    for path, n in counts.items():
        if n < 2:
            continue
        cause = cause_of(failures.get(path, []))
        if cause is None:
            doubled.append(path)
        else:
            by_cause[cause] += n - 1
    expected = session.expected.paths
    return {
        "expected_events": len(expected),
        "accepted_events": sum(counts.values()),
        "missing": sorted(expected - set(counts)),
        "unexpected": sorted(p for p in counts if p not in expected),
        "doubled": sorted(doubled),
        "resent_after_failure": sorted(p for p, n in counts.items() if n > 1 and p not in doubled),
        "copies_after_failure": sum(by_cause.values()),
        "copies_by_cause": {cause: by_cause[cause] for cause in CAUSES},
    }


def drains(session: Session) -> list[float | None]:
    """Per round: seconds from the end of its outage until every event it held back was
    first accepted (0 when they all were before it ended; None when one never was)."""
    accepted: dict[str, list[float]] = {}
    for e in session.received:
        if 200 <= e.status < 300:
            accepted.setdefault(e.path, []).append(e.received_at)
    starts = [began for _, began, _ in session.rounds] + [float("inf")]
    out: list[float | None] = []
    for r, (fault, began, _) in enumerate(session.rounds):
        until = starts[r + 1]
        if fault == "offline flapping":
            ends = [t for t in session.online_at if began <= t < until]
        else:  # the last faulty answer (a slow one is answered after its delay)
            ends = [e.received_at + e.delay for e in session.received
                    if e.faulted and began <= e.received_at < until]  # fmt: skip
        held = {path_of(u) for u, _, _, t in session.held if began <= t / 1000 < until}
        if not ends or not held:
            out.append(0.0)
            continue
        end = max(ends)
        if any(path not in accepted for path in held):
            out.append(None)
            continue
        out.append(round(max(0.0, *(min(accepted[path]) - end for path in held)), 1))
    return out


def storage_problems(entries: list[list[Any]], tabs: int) -> list[str]:
    marks = [k for k, _ in entries if k.startswith(keys.DEDUP_PREFIX)]
    outbox = [(k, n) for k, n in entries if k.startswith(keys.OUTBOX_PREFIX)]
    problems = []
    # Each tab prunes to MAX_MARKS every PRUNE_EVERY marks it writes (docs/guarantees.md).
    most = MAX_MARKS + tabs * PRUNE_EVERY
    if len(marks) > most:
        problems.append(f"{len(marks)} dedup marks, over {most}")
    if len(outbox) > MAX_OUTBOX_ENTRIES or sum(n for _, n in outbox) > MAX_OUTBOX_CHARS:
        problems.append(f"outbox of {len(outbox)} entries, {sum(n for _, n in outbox)} chars")
    return problems


def figures(session: Session) -> dict[str, Any]:
    """Everything the suite asserts and the benchmark reports, but timings and memory."""
    per_round = drains(session)
    known = [d for d in per_round if d is not None]
    return {
        "route_changes": session.route_changes,
        **copies(session),
        "drain_after_outage_s": per_round,
        "drain_after_outage_max_s": max(known) if len(known) == len(per_round) else None,
        "answered_with_faults": sum(1 for e in session.received if e.faulted),
        "storage_problems": storage_problems(session.storage, session.tabs),
        "storage_chars": sum(n for _, n in session.storage),
    }


def soak_rows(f: dict[str, Any]) -> list[str]:
    if "soak_expected_events" not in f:
        return []
    causes = f.get("soak_copies_by_cause") or {}
    drain = f.get("soak_drain_after_outage_max_s")
    rows = [
        "| soak (one SPA session, Chromium) | measured |",
        "|---|---|",
        f"| length | {f['soak_seconds']:,.0f} s, {f['soak_route_changes']:,} route changes |",
        f"| events the rules allow / accepted | {f['soak_expected_events']:,} "
        f"/ {f['soak_accepted_events']:,} |",
        f"| missing / doubled / unexpected | {f['soak_missing_count']} "
        f"/ {f['soak_doubled_count']} / {f['soak_unexpected_count']} |",
        f"| answers with a fault | {f['soak_answered_with_faults']} |",
    ]
    if causes:
        rows.append(
            "| copies after a failed attempt: timed out / connection lost / answered 5xx | "
            + " / ".join(str(causes.get(c, 0)) for c in CAUSES)
            + " |"
        )
    if "soak_drain_bound_s" in f:
        shown = "not every event" if drain is None else f"{drain:.1f} s"
        rows.append(
            f"| drain after an outage, worst round / the policy's bound | {shown} "
            f"/ {f['soak_drain_bound_s']:.0f} s |"
        )
    rows += [
        f"| JS heap: growth / at the end | {f['soak_js_heap_growth_mb']:.2f} MB "
        f"/ {f['soak_js_heap_bytes'] / (1 << 20):.1f} MB |",
        f"| ArrayBuffer + WebAssembly: growth / at the end | {f['soak_wasm_growth_mb']:.2f} MB "
        f"/ {f['soak_wasm_bytes'] / (1 << 20):.1f} MB |",
        f"| localStorage at the end | {f['soak_storage_chars']:,} characters "
        f"({f['soak_storage_problems_count']} over the bounds) |",
        "",
    ]
    return rows
