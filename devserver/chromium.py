"""How this project launches headless Chromium (tests and the benchmark alike)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Debian's Chromium; a test tool's own browser download fails on the project's machines.
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")

LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium floods the (closed) network with background requests.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Safety net: no host name resolves, so nothing can leave the machine even if the
    # tracker fell back to its default VTEX origin or a CDN. Tests only use 127.0.0.1.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def launch_options(base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Playwright launch options: the system Chromium when present, else Playwright's own."""
    options = dict(base or {})
    if SYSTEM_CHROMIUM.exists():
        options["executable_path"] = str(SYSTEM_CHROMIUM)
    options["args"] = [*options.get("args", []), *LAUNCH_ARGS]
    return options
