"""The trimmed standard library in a real browser: a module the trace left out still
imports, from the full archive fetched once (adtracker/stdlib_fallback.py, with the
browser edge's synchronous request), and debug mode says so.

(That the tracker itself never needs it is checked by every e2e test: the page fixture
fails a test whose page logs a miss.)
"""

from __future__ import annotations

import json

from e2e_helpers import DIST, MOUNT
from playwright.sync_api import Browser

from buildtools.stdlib import TRIMMED
from devserver import StaticServer

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pyodide page</title></head>
<body><p>Trimmed standard library</p>
<script type="module">
const dist = new URL("%(runtime)s", location.href).href;
try {
  const { loadPyodide } = await import(dist + "pyodide.mjs");
  const pyodide = await loadPyodide({
    indexURL: dist, lockFileURL: dist + "pyodide-lock.json", stdLibURL: dist + "%(trimmed)s",
  });
  await pyodide.loadPackage("adtracker");
  const out = pyodide.runPython(%(python)s);
  document.body.dataset.result = out;
} catch (err) {
  document.body.dataset.result = "failed: " + err;
}
</script>
</body></html>
"""

PYTHON = """
import json, sys
from adtracker.browser import stdlib
from adtracker.browser.platform import ConsoleLog

installed = stdlib.install(ConsoleLog())
import tarfile                       # a module left out
import email.mime.text               # left out, inside a package that was kept
import xml.dom.minidom               # a package left out entirely
doc = xml.dom.minidom.parseString("<a>ok</a>").documentElement.firstChild.data
json.dumps({"installed": installed, "tarfile": tarfile.__name__, "doc": doc,
            "mime": email.mime.text.MIMEText("x").get_content_type()})
"""


def test_a_module_left_out_imports_from_the_full_archive_fetched_once(
    browser: Browser, site: StaticServer
) -> None:
    # Its own page: the suite's page fixture fails any test whose page logs a miss.
    runtime = (DIST / "RUNTIME").read_text().strip()
    url = site.add_page(
        "/shop/trimmed-stdlib.html",
        PAGE % {"runtime": f"{MOUNT}{runtime}/", "trimmed": TRIMMED, "python": json.dumps(PYTHON)},
    )
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
        "installed": True, "tarfile": "tarfile", "doc": "ok", "mime": "text/plain"
    }  # fmt: skip
    full = [r for r in site.requests() if r.path.endswith("/python_stdlib.zip")]
    assert [(r.method, r.status) for r in full] == [("GET", 200)]
    notes = [text for text in console if "stdlib:" in text]
    assert len(notes) == 1 and "tarfile is not in the trimmed standard library" in notes[0]
