"""Open shadow roots: where ads inside web components (Lit, Stencil, …) live.

``querySelectorAll`` and a MutationObserver on ``document`` stop at shadow
boundaries, so every open shadow root is one more tree to query and observe.
A closed shadow root (``mode: "closed"``) reads as ``null`` from outside and cannot
be seen at all; its host reports through the command queue instead (README).
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

import js

from adtracker.browser.ffi import DOCUMENT_FRAGMENT_NODE, is_element, is_null


def _bound_getter(prototype: Any, name: str) -> Any:
    """The browser's own getter ``name`` as a function of the node: ``f(node) == node.name``.

    Finding hosts means reading ``shadowRoot`` on every element. Read from Python that
    is one FFI crossing per element (~4 µs: ~20 ms for a 5,000-element page); handing
    this native function to the native ``Array.prototype.filter``/``map`` keeps the loop
    in the browser (~1 ms for 5,000) and needs no ``eval`` (so a strict CSP is fine).
    """
    getter = js.Object.getOwnPropertyDescriptor(prototype, name).get
    return js.Function.prototype.call.bind(getter)


def _instance_test(cls: Any) -> Any:
    """A native ``f(value) == value instanceof cls`` (never throws, even for ``window``)."""
    return cls.prototype.isPrototypeOf.bind(cls.prototype)


@functools.cache
def _natives() -> SimpleNamespace:
    """The browser functions below, taken on first use on the page: this module is also
    imported in the snapshot Worker, which has no DOM (and a JS object taken there would
    not survive the snapshot anyway)."""
    return SimpleNamespace(
        shadow_root=_bound_getter(js.Element.prototype, "shadowRoot"),  # null unless open
        local_name=_bound_getter(js.Element.prototype, "localName"),
        is_element=_instance_test(js.Element),
        is_shadow_root=_instance_test(js.ShadowRoot),
        filter=js.Array.prototype.filter,
        map=js.Array.prototype.map,
        some=js.Array.prototype.some,
    )


def _roots_below(scope: Any) -> list[Any]:
    """The open shadow roots of ``scope``'s descendants (not nested deeper)."""
    n = _natives()
    return [host.shadowRoot for host in n.filter.call(scope.querySelectorAll("*"), n.shadow_root)]


def shadow_roots(node: Any) -> list[Any]:
    """Every open shadow root in ``node`` (its own, when it is a host), nested ones too."""
    found: list[Any] = []
    if is_element(node) and not is_null(node.shadowRoot):
        found.append(node.shadowRoot)
    found.extend(_roots_below(node))
    i = 0
    while i < len(found):  # breadth-first into nested shadow roots
        found.extend(_roots_below(found[i]))
        i += 1
    return found


def deep_select(node: Any, selector: str, roots: list[Any] | None = None) -> list[Any]:
    """Elements matching ``selector``: ``node`` itself, its descendants, and everything
    inside the open shadow roots ``roots`` (default: all of ``node``'s)."""
    matches = [node] if is_element(node) and node.matches(selector) else []
    for scope in [node, *(shadow_roots(node) if roots is None else roots)]:
        matches.extend(scope.querySelectorAll(selector))
    return matches


def undefined_names(scopes: list[Any]) -> set[str]:
    """Tag names of custom elements not defined yet (an upgrade may attach a shadow root)."""
    names: set[str] = set()
    for scope in scopes:
        if is_element(scope) and scope.matches(":not(:defined)"):
            names.add(str(scope.localName))
        undefined = scope.querySelectorAll(":not(:defined)")
        names.update(str(name) for name in _natives().map.call(undefined, _natives().local_name))
    return names


def composed_parent(node: Any) -> Any:
    """The parent element, stepping out of a shadow root to its host; None at the top."""
    parent = node.parentElement
    if not is_null(parent):
        return parent
    parent = node.parentNode
    if is_null(parent) or getattr(parent, "nodeType", 0) != DOCUMENT_FRAGMENT_NODE:
        return None
    host = getattr(parent, "host", None)  # a ShadowRoot has a host; a plain fragment not
    return None if is_null(host) else host


def nearest_on_path(event: Any, selector: str) -> Any:
    """The first element matching ``selector`` on the event's ``composedPath()``, or None.

    At ``document`` level the target of a click inside a shadow root is its host, so
    ``target.closest()`` would miss an ad inside a web component; the composed path
    lists the nodes from the real target outwards, through open shadow roots (and a
    slot's shadow tree, for slotted content). The click path is hot: when no shadow
    root is on the path, the path is the target's ancestor chain and the browser's own
    ``closest()`` walks it (one call instead of one Python step per node).
    """
    path = event.composedPath()
    n = _natives()
    if not n.some.call(path, n.is_shadow_root):
        target = event.target
        if not is_element(target):
            target = getattr(target, "parentElement", None)  # e.g. a text node
        ad = None if is_null(target) else target.closest(selector)
        return None if is_null(ad) else ad
    for element in n.filter.call(path, n.is_element):  # not text nodes, document, window
        if element.matches(selector):
            return element
    return None
