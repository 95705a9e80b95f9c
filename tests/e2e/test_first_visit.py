"""A first visit fetches each runtime file once, in the variant the host sends smallest.

The snapshot Worker fetches the lock file, the wasm, the standard library and the wheels;
the page restores from what the Worker hands it (the build's patch to Pyodide lets
``loadPyodide`` take the wasm and the standard library's bytes: buildtools/pyodide_patch.py).
The standard library and pydantic are trimmed (buildtools/trim.py): the full archives are
never asked for. On a host that compresses (the build's ``.br`` siblings, served as the docs advise)
the Worker takes each archive's stored copy (``stored/<name>``: brotli shrinks it by a third
more than the deflated one); on a host that compresses nothing it takes the deflated one,
never larger than before. Counted at the server, per method and path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from e2e_helpers import DIST, MOUNT, make_page, wait_ready
from playwright.sync_api import Browser

from buildtools.bundle import STARTUP_ENTRIES
from buildtools.trim import TRIMMED_STDLIB
from devserver import Collector, StaticServer

#: ES modules that both the Worker and the page import (two module maps). Where the host
#: lets the browser cache them (the production rules) the second import never reaches the
#: server; a ``no-cache`` host is asked again (a conditional request where it has validators).
MODULES_BOTH_IMPORT = {"pyodide.mjs", "pyodide.asm.mjs"}
STORE_TIMEOUT_MS = 90_000


@pytest.fixture(params=["production", "dev"])
def host(request: pytest.FixtureRequest) -> Iterator[StaticServer]:
    server = StaticServer(DIST, port=0, mount=MOUNT, cache=request.param).start()
    try:
        yield server
    finally:
        server.stop()


def runtime_requests(host: StaticServer) -> Counter[tuple[str, str]]:
    runtime = (DIST / "RUNTIME").read_text().strip()
    prefix = f"{MOUNT}{runtime}/"
    return Counter(
        (r.method, r.path.removeprefix(prefix))
        for r in host.requests()
        if r.path.startswith(prefix)
    )


def test_first_visit_fetches_each_file_once(
    browser: Browser, host: StaticServer, collector: Collector
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(make_page(host, collector, "<p>shop</p>"))
        wait_ready(page, 90_000)
        page.wait_for_function(
            """() => performance.getEntriesByName("adtracker:snapshot-stored").length
                  || performance.getEntriesByName("adtracker:snapshot-not-stored").length""",
            timeout=STORE_TIMEOUT_MS,
        )
        assert (
            page.evaluate(
                """() => performance.getEntriesByName("adtracker:snapshot-restored")[0]?.detail"""
            )
            == "worker"
        )
    finally:
        context.close()
    counts = runtime_requests(host)
    gets = Counter({path: n for (method, path), n in counts.items() if method == "GET"})
    twice = {p: n for p, n in gets.items() if n > 1 and p not in MODULES_BOTH_IMPORT}
    assert not twice, f"fetched more than once: {twice}"
    if host.production:
        for path in MODULES_BOTH_IMPORT:
            assert gets[path] == 1, f"{path}: {gets[path]} requests despite immutable caching"

    # The runtime's modules are bundled (buildtools/bundle.py): its split costs no request.
    # (the QA overlay's module, ON_DEMAND_ENTRIES, is not fetched unless it is on)
    assert {p for p in gets if p.endswith(".mjs")} == set(STARTUP_ENTRIES) | MODULES_BOTH_IMPORT
    archives = [p for p in gets if p.endswith((".whl", ".zip"))]
    stored = sorted(p for p in archives if p.startswith("stored/"))
    deflated = sorted(p for p in archives if not p.startswith("stored/"))
    if host.production:  # compresses: every archive stored (+ brotli), none deflated
        assert deflated == [], deflated
        assert f"stored/{TRIMMED_STDLIB}" in stored
        assert any(p.startswith("stored/pydantic_core-") for p in stored)
    else:  # compresses nothing: the deflated archives, each asked about once
        assert stored == [], stored
        assert TRIMMED_STDLIB in deflated
        assert any(p.startswith("trimmed/pydantic-") for p in deflated)  # pydantic, trimmed
        heads = {p for (method, p), n in counts.items() if method == "HEAD"}
        assert {f"stored/{p.removeprefix('trimmed/')}" for p in deflated} == heads
    assert not any(p.startswith("micropip-") for p in gets), "micropip is not the tracker's"
    assert "python_stdlib.zip" not in gets, "the full standard library is for misses only"
    assert not any(p.startswith("pydantic-") for p in gets), "the full pydantic: misses only"
