"""The trimmed archives in a real browser: a module the trace left out still imports, from
its full archive fetched once (adtracker/import_fallback.py, with the browser edge's
synchronous request), and debug mode says so.

The page sets Python up as the snapshot Worker does: Pyodide on the trimmed standard
library, the wheels unpacked (pydantic's trimmed copy among them). (That the tracker itself
never needs the fallback is checked by every e2e test: the page fixture fails a test whose
page logs a miss.)
"""

from __future__ import annotations

import json

from e2e_helpers import DIST, MOUNT
from playwright.sync_api import Browser

from buildtools.trim import TRIMMED_DIR, TRIMMED_STDLIB
from devserver import StaticServer

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pyodide page</title></head>
<body><p>Trimmed archives</p>
<script type="module">
const dist = new URL("%(runtime)s", location.href).href;
try {
  const { loadPyodide } = await import(dist + "pyodide.mjs");
  const pyodide = await loadPyodide({
    indexURL: dist, lockFileURL: dist + "pyodide-lock.json", stdLibURL: dist + "%(stdlib)s",
  });
  const site = pyodide.runPython("import site; site.getsitepackages()[0]");
  for (const wheel of %(wheels)s) {
    const bytes = new Uint8Array(await (await fetch(dist + wheel)).arrayBuffer());
    pyodide.unpackArchive(bytes, "wheel", { extractDir: site });
  }
  document.body.dataset.result = pyodide.runPython(%(python)s);
} catch (err) {
  document.body.dataset.result = "failed: " + err;
}
</script>
</body></html>
"""

PYTHON = """
import json
from adtracker.browser import fallback_fetch
from adtracker.browser.platform import ConsoleLog

installed = fallback_fetch.install(ConsoleLog())
import pydantic                      # the trimmed wheel: no fetch
from pydantic import v1              # left out of the trimmed pydantic
import tarfile                       # a module left out of the standard library
import email.mime.text               # left out, inside a package that was kept
import xml.dom.minidom               # a package left out entirely
doc = xml.dom.minidom.parseString("<a>ok</a>").documentElement.firstChild.data
json.dumps({"installed": installed, "v1": v1.BaseModel.__module__, "tarfile": tarfile.__name__,
            "doc": doc, "mime": email.mime.text.MIMEText("x").get_content_type()})
"""


def boot_wheels(runtime: str) -> list[str]:
    """The wheels the Worker unpacks, deflated: pydantic's trimmed copy, the others as is."""
    names = [p.name for p in (DIST / runtime).glob("*.whl") if not p.name.startswith("micropip")]
    trimmed = {p.name for p in (DIST / runtime / TRIMMED_DIR).glob("*.whl")}
    return sorted(f"{TRIMMED_DIR}/{n}" if n in trimmed else n for n in names)


def test_a_module_left_out_imports_from_its_full_archive_fetched_once(
    browser: Browser, site: StaticServer
) -> None:
    runtime = (DIST / "RUNTIME").read_text().strip()
    wheels = boot_wheels(runtime)
    assert any(w.startswith(f"{TRIMMED_DIR}/pydantic-") for w in wheels), wheels
    url = site.add_page(
        "/shop/trimmed-archives.html",
        PAGE
        % {
            "runtime": f"{MOUNT}{runtime}/",
            "stdlib": TRIMMED_STDLIB,
            "wheels": json.dumps(wheels),
            "python": json.dumps(PYTHON),
        },
    )
    # Its own page: the suite's page fixture fails any test whose page logs a miss.
    context = browser.new_context()
    console: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda msg: console.append(msg.text))
        page.goto(url)
        page.wait_for_function("() => (document.body.dataset.result || '') !== ''", timeout=90_000)
        result = page.evaluate("() => document.body.dataset.result")
    finally:
        context.close()
    assert not result.startswith("failed"), result
    assert json.loads(result) == {
        "installed": True, "v1": "pydantic.v1.main", "tarfile": "tarfile", "doc": "ok",
        "mime": "text/plain",
    }  # fmt: skip
    inside = f"{MOUNT}{runtime}/"
    fetched = [r.path.removeprefix(inside) for r in site.requests() if r.method == "GET"]
    assert fetched.count("python_stdlib.zip") == 1
    assert len([f for f in fetched if f.startswith("pydantic-")]) == 1  # the full wheel, once
    notes = [text for text in console if "imports:" in text]
    assert len(notes) == 2, notes  # one per full archive (pydantic.v1 imports colorsys)
    assert "pydantic.v1 is not in the trimmed archives; fetching pydantic-" in notes[0]
    assert "is not in the trimmed archives; fetching python_stdlib.zip (once)" in notes[1]
