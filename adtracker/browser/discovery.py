"""Finding the page's ads: at start, and whenever the DOM changes, shadow roots included.

Ads are found by attribute (``data-ad-impression-url``, ``data-ad-view-url``), so ads
inserted later, re-rendered, moved or re-attributed are picked up, and elements that
leave the DOM are reported gone, so a long session does not leak. One
MutationObserver watches the document and every open shadow root found in it.

Shadow roots that appear later are found three ways, all cheap:

- an element added to the page is scanned with the shadow roots inside it (a custom
  element defined before insertion has attached its root by then);
- a custom element still undefined when scanned is awaited
  (``customElements.whenDefined``): its upgrade is when Lit, Stencil and the like
  attach their root, so the page is scanned once more after each such definition;
- a mutation whose target is a host not seen yet (its children or watched
  attributes changed) enters that host's root.

Patching ``Element.prototype.attachShadow`` would also catch a plain element that
attaches a root later with no other change, but it rewrites a built-in of the host
page, which a tracker must not do; such a host can use the command queue instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import js
from pyodide.ffi import create_proxy

from adtracker.base.ports import Scheduler
from adtracker.browser.ffi import guarded, is_element, is_null, js_object
from adtracker.browser.markup import IMPRESSION_ATTR, VIEW_ATTR, WATCHED_SELECTOR
from adtracker.browser.shadow import deep_select, shadow_roots, undefined_names

#: Attribute changes that can make an ad appear, disappear or change.
WATCHED_ATTRIBUTES = [IMPRESSION_ATTR, VIEW_ATTR, "style", "class", "hidden", "open"]


class AdSink(Protocol):
    """What the finder reports to (the :class:`~adtracker.browser.ads.AdWatcher`)."""

    def watch(self, element: Any) -> None:
        """An ad was found, or its URLs may have changed."""
        ...

    def release(self, element: Any) -> None:
        """The ad left the DOM."""
        ...

    def recheck_impressions(self) -> None:
        """A style-like change may have made an ad painted."""
        ...


class AdFinder:
    """Finds ads for an :class:`AdSink`: in the document and its open shadow roots."""

    def __init__(self, ads: AdSink, scheduler: Scheduler, on_error: Callable[[str], None]) -> None:
        self._ads = ads
        self._scheduler = scheduler
        self._on_error = on_error
        self._entered = js.WeakSet.new()  # shadow roots observed so far (or ignored)
        self._awaited: set[str] = set()  # custom element names whose definition we await
        self._rescan_due = False
        self._options = js_object(
            childList=True, subtree=True, attributes=True, attributeFilter=WATCHED_ATTRIBUTES
        )
        self._on_mutations_proxy = create_proxy(guarded(self._on_mutations, on_error, "ad finder"))
        self._on_defined = create_proxy(
            guarded(lambda *_: self._rescan_soon(), on_error, "ad finder")
        )
        self._ignore = create_proxy(lambda *_: None)
        self._mo = js.MutationObserver.new(self._on_mutations_proxy)

    def start(self) -> None:
        self._mo.observe(js.document.documentElement, self._options)
        self.scan(js.document)

    def ignore(self, root: Any) -> None:
        """Never observe this shadow root (the QA overlay's own labels)."""
        self._entered.add(root)

    def scan(self, node: Any) -> None:
        """Watch every ad in ``node`` and in the open shadow roots inside it."""
        roots = shadow_roots(node)
        for root in roots:
            if not self._entered.has(root):
                self._entered.add(root)
                self._mo.observe(root, self._options)
        for element in deep_select(node, WATCHED_SELECTOR, roots):
            self._ads.watch(element)
        self._await_definitions([node, *roots])

    def _await_definitions(self, scopes: list[Any]) -> None:
        definitions = getattr(js.window, "customElements", None)
        if definitions is None or is_null(definitions):
            return
        for name in undefined_names(scopes) - self._awaited:
            self._awaited.add(name)
            try:
                definitions.whenDefined(name).then(self._on_defined).catch(self._ignore)
            except Exception as exc:  # an odd name: nothing to wait for
                self._on_error(f"ad finder: cannot await <{name}>: {exc!r}")

    def _rescan_soon(self) -> None:
        if not self._rescan_due:  # several definitions in a row: one scan
            self._rescan_due = True
            self._scheduler.soon(guarded(self._rescan, self._on_error, "ad finder"))

    def _rescan(self) -> None:
        self._rescan_due = False
        self.scan(js.document)

    def _enter_new_host(self, target: Any) -> None:
        if not is_element(target):
            return
        root = target.shadowRoot
        if not is_null(root) and not self._entered.has(root) and target.isConnected:
            self.scan(target)

    def _release_subtree(self, node: Any) -> None:
        if not is_element(node) or node.isConnected:
            return  # moved, not removed: its ads stay
        for element in deep_select(node, WATCHED_SELECTOR):
            self._ads.release(element)

    def _on_mutations(self, records: Any, _observer: Any = None) -> None:
        restyled = False
        for record in records:
            self._enter_new_host(record.target)
            if record.type == "childList":
                for node in record.removedNodes:
                    self._release_subtree(node)
                for node in record.addedNodes:
                    if is_element(node) and node.isConnected:
                        self.scan(node)
            elif record.attributeName in (IMPRESSION_ATTR, VIEW_ATTR):
                self._ads.watch(record.target)
            else:
                restyled = True
        if restyled:
            self._ads.recheck_impressions()
