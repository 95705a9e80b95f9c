"""Crossing between Python and JavaScript: the few helpers every browser module uses.

Modelled on PyScript's ``ffi.py``: one place that knows how Pyodide represents JS
values (``null``, plain objects) and how deep a JS value is converted to Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import jsnull, to_js

ELEMENT_NODE = 1  # Node.ELEMENT_NODE
DOCUMENT_FRAGMENT_NODE = 11  # Node.DOCUMENT_FRAGMENT_NODE: what a ShadowRoot is
#: How deep a JS value (a command, the loader's queues) is converted to Python.
#: Commands are small; a deeper (or cyclic) object is refused. The loader
#: (web/src/tracker.js) converts with the same depth; tests/unit/test_loader_pins.py
#: pins the two together.
TO_PY_DEPTH = 8


def js_object(**values: Any) -> Any:
    """A plain JS object (not a Map) from keyword arguments: fetch/listener options etc.

    Its prototype is null: a page that polluted ``Object.prototype`` (``credentials``,
    ``once``, a Proxy trap's name) cannot add members to our fetch init, listener options
    or Proxy handlers, which the browser reads through the prototype chain."""
    plain = to_js(values, dict_converter=js.Object.fromEntries)
    return js.Object.assign(js.Object.create(jsnull), plain)


def is_null(value: object) -> bool:
    """JS ``null`` arrives as ``jsnull`` (not None) in Pyodide 314; ``undefined`` as None."""
    return value is None or value is jsnull


def to_py(value: Any) -> Any:
    """A JS value as Python (``TO_PY_DEPTH`` levels deep); Python values pass through."""
    return value.to_py(depth=TO_PY_DEPTH) if hasattr(value, "to_py") else value


def is_element(node: Any) -> bool:
    """True for a DOM element (not a text node, a document, a shadow root or ``window``)."""
    return not is_null(node) and getattr(node, "nodeType", 0) == ELEMENT_NODE


def guarded(fn: Callable[..., object], on_error: Callable[[str], None], label: str) -> Any:
    """``fn`` made safe to call from JS: an exception is reported, never thrown into the page."""

    def run(*args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:
            on_error(f"{label} error: {exc!r}")

    return run
