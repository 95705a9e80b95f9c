"""Run inside Pyodide by trace_imports.mjs (a build step): which files of the standard
library and of site-packages the tracker imports, so the snapshot path ships only those
(buildtools/trim.py).

It imports what the snapshot Worker imports (``adtracker.browser.boot``), then drives the
core through its start and every event path with the unit tests' fakes (their
``fakes.py``): clicks, impressions, views, conversions, VTEX messages, every command, and
each kind of answer (202, 422, 429 with both forms of ``Retry-After``, 503, a network
error). Every standard-library module that any of the package's own files imports,
even inside a function, is imported too (with its own imports), so a late import such as
``email.utils`` is shipped. What still goes missing at run time is fetched from the full
archive (adtracker/import_fallback.py). A scenario that fails fails the build: the trace
must follow the code.
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
import zipfile
from pathlib import Path

#: Where Pyodide mounts the standard library: a zip on sys.path.
STDLIB_ZIP = f"/lib/python{sys.version_info.major}{sys.version_info.minor}.zip/"
SITE = Path(f"/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages")
PACKAGE = "adtracker"


def stdlib_imports_of(package_dir: Path) -> set[str]:
    """Every absolute standard-library import in the package's source, anywhere."""
    names: set[str] = set()
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    return {n for n in names if n.partition(".")[0] in sys.stdlib_module_names}


def drive(fakes_source: str, order_message: str) -> None:
    """The tracker's start and event paths, on the unit tests' fakes."""
    fakes = sys.modules["fakes"] = type(sys)("fakes")
    exec(compile(fakes_source, "fakes.py", "exec"), fakes.__dict__)

    from adtracker import commands
    from adtracker.config import config_from_attributes
    from adtracker.vtex.handler import VtexEvents

    config_from_attributes(
        {
            "beacon-origins": "https://x.example https://y.example/path",
            "debug": "",
            "consent": "pending",
            "request-timeout": "nope",
            "vtex-events": "",
            "user-id": "u\x00",
            "session-ttl-days": "3",
            "channel": "app",
        }
    )
    origin = fakes.ORIGIN
    rig = fakes.make_rig(debug=True, publisher_id="pub-1")
    rig.storage.data["adtracker:preboot"] = json.dumps(
        [{"u": origin + "/v1/beacon/click/p", "t": 1}]
    )
    rig.tracker.start()
    t = rig.tracker
    for i in range(3):
        t.track_click(f"{origin}/v1/beacon/click/a{i}?pos={i}")
        t.track_impression(f"{origin}/v1/beacon/impression/a{i}")
        t.track_view(f"{origin}/v1/beacon/view/a{i}")
    t.track_click("javascript:alert(1)")
    t.track_click(f"{origin}/v1/beacon/click/a0?pos=0")  # deduplicated
    order = {
        "order_id": "o-1",
        "email": " Ana@Example.com ",
        "phone": "(11) 98765-4321",
        "social_id": "123.456.789-09",
        "first_name": " Ana ",
        "last_name": "Silva",
        "items": [{"sku": "s", "quantity": 2, "price": 9.5, "promotional_price": 9.0}],
    }
    t.track_conversion(order)
    t.track_conversion({"order_id": "bad"})
    for raw in (
        ["click", origin + "/v1/beacon/click/c"],
        ["identify", "customer-9"],
        ["consent", "granted"],
        ["debug", False],
        ["debug", True],
        ["nope"],
        42,
    ):
        commands.run(t, raw, rig.log)
    vtex = VtexEvents(t)
    vtex.handle(json.loads(order_message))
    vtex.handle({"eventName": "vtex:userData", "userId": "profile-1", "isAuthenticated": True})
    vtex.handle({"eventName": "vtex:orderPlaced"})
    rig.scheduler.run()
    answers = [
        (202, '{"messages": ["click will be processed soon"]}', None),
        (422, fakes_ajv_422(), None),
        (429, "", "3"),
        (429, "", "Wed, 21 Oct 2099 07:28:00 GMT"),
        (503, "<html>busy</html>", "soon"),
        (None, "", None),
    ]
    for index in range(len(rig.transport.sent)):
        status, body, retry_after = answers[index % len(answers)]
        rig.transport.answer(index, status, body, "" if status else "Failed to fetch", retry_after)
    rig.scheduler.advance(3600)
    rig.scheduler.run()
    t.new_page_view()
    t.consent("denied")


def fakes_ajv_422() -> str:
    return json.dumps(
        [
            {
                "instancePath": "",
                "schemaPath": "#/anyOf/0/required",
                "keyword": "required",
                "params": {"missingProperty": "user_id"},
                "message": "must have required property 'user_id'",
            }
        ]
    )


def without_docstrings(source: str) -> str:
    """``source`` as the same code without docstrings and comments: what ``python -OO``
    drops, plus what only a reader needs. Parsed and unparsed by this Python (3.14), which
    knows its own standard library's syntax; CPython's stdlib supports running with
    ``__doc__`` None (its test suite runs under -OO)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = node.body[0] if node.body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            node.body[0:1] = [] if len(node.body) > 1 else [ast.Pass()]
    return ast.unparse(tree) + "\n"


def stripped_sources(paths: set[str]) -> dict[str, str]:
    """The standard library's ``.py`` files among ``paths``, without docstrings."""
    out = {}
    with zipfile.ZipFile(STDLIB_ZIP.rstrip("/")) as zf:
        for path in sorted(p for p in paths if p.endswith(".py")):
            out[path] = without_docstrings(zf.read(path).decode("utf-8"))
    return out


def trace(fakes_source: str, order_message: str) -> str:
    """Run everything above; return the files imported, as JSON: ``stdlib`` (paths in the
    standard library's zip), ``site`` (paths in site-packages) and ``stdlib_sources`` (the
    former's sources without docstrings, which the trimmed archive ships)."""
    importlib.import_module("adtracker.browser.boot")  # what the snapshot Worker imports
    for name in sorted(stdlib_imports_of(SITE / PACKAGE)):
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # e.g. a platform-only module behind a guard
    drive(fakes_source, order_message)
    found: dict[str, set[str]] = {"stdlib": set(), "site": set()}
    site = f"{SITE}/"
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None) or ""
        if origin.startswith(STDLIB_ZIP):
            found["stdlib"].add(origin[len(STDLIB_ZIP) :])
        elif origin.startswith(site):
            found["site"].add(origin[len(site) :])
    out: dict[str, object] = {k: sorted(v) for k, v in found.items()}
    out["stdlib_sources"] = stripped_sources(found["stdlib"])
    return json.dumps(out)
