"""web/src/tracker.d.ts type-checks the documented uses and refuses wrong ones.

Runs ``tsc --noEmit --strict`` on a usage file: good uses compile, and each wrong use is
marked ``// @ts-expect-error``, so tsc fails if a wrong use ever type-checks. TypeScript is
never downloaded here: the test uses a ``tsc`` on PATH, or npm's cache
(``npm exec --offline``), and is skipped when neither has TypeScript 5.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

DTS = Path(__file__).resolve().parents[2] / "web" / "src" / "tracker.d.ts"
TSC_TIMEOUT = 120

USAGE = """\
import type {
  AdTracker,
  AdTrackerCommand,
  AdTrackerEventDetail,
  AdTrackerEventType,
  AdTrackerPlatformEvent,
  AdTrackerOrder,
  AdTrackerOutcome,
} from "./tracker";

// The documented snippet: a plain array until tracker.js runs.
window.adTracker = window.adTracker || [];
window.adTracker.push(["click", "https://e.example/v1/beacon/click/1?pos=1"]);
window.adTracker.push(["impression", "u"], ["view", "u"], ["identify", "customer-42"]);
window.adTracker.push(["consent", "pending"], ["consent", "granted"], ["debug", true]);

const order: AdTrackerOrder = {
  order_id: "o-1",
  email: "Shopper@Example.com",
  phone: "(11) 98765-4321",
  items: [
    { sku: "sku-1", quantity: 2, price: 10, promotional_price: 9, seller_id: null },
    { sku: "sku-2", quantity: 1, price: 5, promotional_price: 5, product_id: "p-2" },
  ],
  gender: "F",
  is_company: false,
  uf: "SP",
  city: "São Paulo",
  created_at: "2026-01-02T03:04:05.000Z",
};
const hashed: AdTrackerOrder = {
  order_id: "o-2",
  email_hashed: "0".repeat(64),
  items: [{ sku: "s", quantity: 1, price: 1, promotional_price: 1 }],
};
window.adTracker.push(["conversion", order], ["conversion", hashed]);

document.addEventListener("adtracker:event", (event) => {
  const detail: AdTrackerEventDetail = event.detail;
  const outcome: AdTrackerOutcome = event.detail.outcome;
  const kind: AdTrackerEventType | AdTrackerPlatformEvent = detail.type;
  // With data-vtex-events, VTEX's own messages are reported too (identified / ignored).
  const adEvent: AdTrackerEventType | null = kind.startsWith("vtex:")
    ? null
    : (kind as AdTrackerEventType);
  const platform: AdTrackerOutcome[] = ["identified", "ignored"];
  console.log(outcome, kind, adEvent, platform, detail.url.length, detail.reason.length);
});

const ready: Promise<AdTracker> | undefined = window.adTracker.ready;
ready?.then((tracker: AdTracker) => tracker.push(["debug", false]));
const commands: AdTrackerCommand[] = [["view", "u"]];
window.adTracker.push(...commands);

// @ts-expect-error a URL is a string
window.adTracker.push(["click", 1]);
// @ts-expect-error not a consent state
window.adTracker.push(["consent", "yes"]);
// @ts-expect-error unknown command
window.adTracker.push(["track", "u"]);
// @ts-expect-error debug takes a boolean
window.adTracker.push(["debug", "true"]);
// @ts-expect-error an order needs an e-mail, in clear or hashed
const noEmail: AdTrackerOrder = { order_id: "o", items: [] };
// @ts-expect-error gender is F, M or O
const badGender: AdTrackerOrder = { order_id: "o", email: "e", items: [], gender: "X" };
// @ts-expect-error not an event type
const badKind: AdTrackerEventType = "purchase";
// @ts-expect-error items need sku, quantity, price and promotional_price
const badItem: AdTrackerOrder = { order_id: "o", email: "e", items: [{ sku: "s" }] };
document.addEventListener("adtracker:event", (event) => {
  // @ts-expect-error outcome is a string union
  const n: number = event.detail.outcome;
  console.log(n, noEmail, badGender, badItem, badKind);
});
"""


def _tsc_command(workdir: Path) -> list[str] | None:
    """A tsc 5 that runs without the network, or None."""
    candidates: list[list[str]] = []
    if tsc := shutil.which("tsc"):
        candidates.append([tsc])
    if npm := shutil.which("npm"):
        # --offline: only npm's cache; never a request to a registry.
        candidates.append(
            [npm, "exec", "--offline", "--yes", "--package=typescript@5", "--", "tsc"]
        )
    for cmd in candidates:
        try:
            out = subprocess.run(
                [*cmd, "--version"],
                cwd=workdir,
                capture_output=True,
                text=True,
                timeout=TSC_TIMEOUT,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and out.stdout.strip().startswith("Version 5."):
            return cmd
    return None


def test_tracker_dts_typechecks(tmp_path: Path) -> None:
    tsc = _tsc_command(tmp_path)
    if tsc is None:
        pytest.skip("TypeScript 5 is not available offline (tsc on PATH or in npm's cache)")
    shutil.copy2(DTS, tmp_path / "tracker.d.ts")
    (tmp_path / "usage.ts").write_text(USAGE, encoding="utf-8")
    result = subprocess.run(
        [*tsc, "--noEmit", "--strict", "--target", "es2020", "--lib", "es2020,dom", "usage.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TSC_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
