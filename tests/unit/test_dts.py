"""web/src/tracker.d.ts type-checks the documented uses and refuses wrong ones.

Runs ``tsc --noEmit --strict`` on a usage file: good uses compile, and each wrong use is
marked ``// @ts-expect-error``, so tsc fails if a wrong use ever type-checks. TypeScript is
a pinned devDependency in ``web/package.json``: ``python3 build.py`` (``npm ci``) installs
it in ``web/node_modules``; the test fails, never skips, when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
DTS = WEB / "src" / "tracker.d.ts"
TSC = WEB / "node_modules" / ".bin" / "tsc"
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


def test_pinned_typescript_is_installed() -> None:
    """web/node_modules has exactly the TypeScript web/package.json pins."""
    pinned = json.loads((WEB / "package.json").read_text())["devDependencies"]["typescript"]
    assert TSC.exists(), f"{TSC} is missing: run `python3 build.py` (npm ci installs it)"
    out = subprocess.run(
        [str(TSC), "--version"], capture_output=True, text=True, timeout=TSC_TIMEOUT
    )
    assert out.stdout.strip() == f"Version {pinned}", out.stdout + out.stderr


def test_tracker_dts_typechecks(tmp_path: Path) -> None:
    assert TSC.exists(), f"{TSC} is missing: run `python3 build.py` (npm ci installs it)"
    shutil.copy2(DTS, tmp_path / "tracker.d.ts")
    (tmp_path / "usage.ts").write_text(USAGE, encoding="utf-8")
    result = subprocess.run(
        [str(TSC), "--noEmit", "--strict", "--target", "es2020", "--lib", "es2020,dom", "usage.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TSC_TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
