"""The Python API in the browser without tracker.js: a PyScript page, and micropip in Pyodide.

* ``web/pyscript-demo/`` (built into ``web/demo-dist/``, served beside the dist): PyScript
  and Pyodide from the dist, the tracker wheel installed by PyScript's micropip,
  ``start({...})`` called from ``main.py``.
* A plain page that loads Pyodide from the dist and runs
  ``await micropip.install(<dist>/tracker-….whl)``: the path documented for any Pyodide page.

Both beacon to the test's collector. Booting PyScript/Pyodide, micropip and pydantic takes
seconds on a busy machine, so the waits here are long but bounded.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import DEMO_DIST, DIST, MOUNT, assert_local_only, path_of
from playwright.sync_api import Page


def runtime() -> str:
    """The dist's content-hashed runtime folder (Pyodide, lock file, wheels), with a "/"."""
    folders = [p.name for p in DIST.glob("r-*") if p.is_dir()]
    assert len(folders) == 1, folders
    return folders[0] + "/"


BOOT_TIMEOUT_MS = 90_000
DELIVERY_TIMEOUT_S = 20.0
DEMO_PATH = f"{MOUNT}pyscript-demo/"

#: The first ad card of web/pyscript-demo/index.html.
DEMO_AD_ID = "2d7e0f4c-8a51-4b7e-9c1d-3f6a2b8e9d01"
DEMO_AD_QUERY = "?pos=1&placement=pyscript_top&sig=demo"


def tracker_wheel() -> Path:
    wheels = sorted((DIST / runtime()).glob("adtracker-*-py3-none-any.whl"))
    assert len(wheels) == 1, f"expected one tracker wheel in {DIST}, found {wheels}"
    return wheels[0]


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_versions() -> dict[str, str]:
    lock = json.loads((DIST / runtime() / "pyodide-lock.json").read_text())
    return {norm(name): pkg["version"] for name, pkg in lock["packages"].items()}


@pytest.fixture
def demo_site(site, collector) -> Iterator[Any]:
    """The ``site`` server with the demos beside the dist and ``__COLLECTOR_ORIGIN__`` filled
    in, like ``build.py serve``."""
    site.add_dir(MOUNT, DEMO_DIST)
    site.substitutions["__COLLECTOR_ORIGIN__"] = collector.origin
    yield site


def wait_live(page: Page, page_log: Any, timeout_ms: int = BOOT_TIMEOUT_MS) -> None:
    """Wait (bounded) for the page's Python to set ``<body data-tracker="live">``."""
    try:
        page.wait_for_function(
            "() => ['live', 'failed'].includes(document.body && document.body.dataset.tracker)",
            timeout=timeout_ms,
        )
    except Exception as exc:  # a timeout: say what the page printed meanwhile
        raise AssertionError(
            f"Python did not start within {timeout_ms} ms: {exc}\n"
            f"console: {[(m.type, m.text) for m in page_log.console][-20:]}\n"
            f"errors: {page_log.errors}"
        ) from None
    state = page.evaluate("() => [document.body.dataset.tracker, document.body.dataset.error]")
    assert state[0] == "live", f"the page's Python failed: {state[1]}; {page_log.console[-20:]}"


# --------------------------------------------------------------------------- PyScript


def test_pyscript_demo_tracks_impression_and_click(page, page_log, demo_site, collector, grace):
    """The PyScript storefront: its ad card's impression, exactly one click, a conversion."""
    site = demo_site
    click = collector.url(f"/v1/beacon/click/{DEMO_AD_ID}{DEMO_AD_QUERY}")
    impression = collector.url(f"/v1/beacon/impression/{DEMO_AD_ID}{DEMO_AD_QUERY}")
    conversion = collector.url("/v1/beacon/conversion")

    page.goto(site.url(DEMO_PATH))
    wait_live(page, page_log)

    page_log.wait_outcome(page, "delivered", url=impression, timeout=DELIVERY_TIMEOUT_S)
    page.click("#ad-1")
    page_log.wait_outcome(page, "delivered", url=click, timeout=DELIVERY_TIMEOUT_S)
    grace(page)

    events = collector.events()
    clicks = [e for e in events if e.kind == "click"]
    assert len(clicks) == 1, clicks
    assert clicks[0].path == path_of(click)
    assert clicks[0].ad_id == DEMO_AD_ID
    assert clicks[0].status == 202
    assert clicks[0].errors == []
    assert clicks[0].origin == site.origin
    mine = [e for e in events if e.kind == "impression" and e.path == path_of(impression)]
    assert len(mine) == 1, events
    assert mine[0].status == 202 and mine[0].errors == []
    assert all(e.errors == [] and e.status == 202 for e in events), events

    # A conversion from Python (main.py's button): hashed e-mail, schema-valid body.
    page.click("#order")
    page_log.wait_outcome(page, "delivered", url=conversion, timeout=DELIVERY_TIMEOUT_S)
    conversions = [e for e in collector.events() if e.kind == "conversion"]
    assert len(conversions) == 1, conversions
    body = conversions[0].body_json
    assert conversions[0].status == 202 and conversions[0].errors == [], conversions[0]
    assert "email" not in body
    assert body["email_hashed"] == hashlib.sha256(b"shopper@example.com").hexdigest()
    assert body["publisher_id"] == "demo-publisher"

    # The page's own log (written by main.py from adtracker:event) shows the click.
    log_text = page.inner_text("#decisions")
    assert f"click delivered {path_of(click)}" in log_text, log_text

    # PyScript, Pyodide and every wheel came from the dist; nothing from anywhere else.
    served = {r.path.split("?")[0]: r.status for r in site.requests()}
    wheel = tracker_wheel().name
    assert served.get(f"{MOUNT}pyscript/core.js") == 200, served
    for name in ("pyodide.mjs", "pyodide.asm.wasm", "pyodide-lock.json", wheel):
        assert served.get(f"{MOUNT}{runtime()}{name}") == 200, (name, served)
    assert any(re.search(r"/pydantic-[\d.]+-py3-none-any\.whl$", p) for p in served), served
    assert_local_only(page_log, site.origin, collector.origin)
    assert page_log.console_errors() == [], page_log.console_errors()


# --------------------------------------------------------------------------- micropip


MICROPIP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>micropip page</title></head>
<body>
<a id="ad" href="#landed" data-ad-click-url="{click}">Sponsored</a>
<script type="module">
const dist = new URL("{mount}", location.href).href;
try {{
  const {{ loadPyodide }} = await import(dist + "pyodide.mjs");
  const pyodide = await loadPyodide({{ indexURL: dist }});
  await pyodide.loadPackage("micropip");
  const micropip = pyodide.pyimport("micropip");
  await micropip.install(dist + "{wheel}");
  pyodide.globals.set("collector", "{collector}");
  pyodide.runPython(`
from adtracker.browser import start
tracker = start({{"beacon_origins": collector, "debug": True}})
`);
  window.__installed = Object.fromEntries(
    pyodide.runPython(
      "import micropip; [(n, p.version) for n, p in micropip.list().items()]"
    ).toJs()
  );
  document.body.dataset.tracker = "live";
}} catch (err) {{
  document.body.dataset.error = String(err);
  document.body.dataset.tracker = "failed";
}}
</script>
</body></html>
"""


def test_micropip_install_of_the_wheel_tracks_a_click(page, page_log, site, collector, grace):
    """``micropip.install(<dist>/tracker-….whl)`` in a Pyodide page, then ``start``: 1 click."""
    click = collector.url("/v1/beacon/click/ad-micropip?pos=1&sig=x")
    wheel = tracker_wheel().name
    url = site.add_page(
        "/shop/micropip.html",
        MICROPIP_PAGE.format(
            click=click, mount=MOUNT + runtime(), wheel=wheel, collector=collector.origin
        ),
    )

    page.goto(url)
    wait_live(page, page_log)
    page.click("#ad")

    assert len(collector.wait_for(1, timeout=DELIVERY_TIMEOUT_S)) == 1
    page_log.wait_outcome(page, "delivered", url=click, timeout=DELIVERY_TIMEOUT_S)
    grace(page)
    events = collector.events()
    assert len(events) == 1, events
    assert events[0].kind == "click"
    assert events[0].path == path_of(click)
    assert events[0].status == 202
    assert events[0].errors == []

    # The wheel's dependencies were resolved from the dist's lock file, not an index.
    installed = {norm(k): v for k, v in page.evaluate("() => window.__installed").items()}
    pinned = lock_versions()
    for name in ("adtracker", "pydantic", "pydantic-core", "typing-extensions", "annotated-types"):
        assert installed.get(name) == pinned[name], (name, installed, pinned)
    served = {r.path.split("?")[0]: r.status for r in site.requests()}
    assert served.get(f"{MOUNT}{runtime()}{wheel}") == 200, served
    assert_local_only(page_log, site.origin, collector.origin)
