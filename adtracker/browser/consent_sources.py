"""The store's consent platform in the page → :class:`adtracker.consent.platform.PlatformConsent`
(``data-consent-from``).

- **gcm**: the gtag commands already on ``window.dataLayer`` are read at start, then every
  later push is seen through a wrapper of ``dataLayer.push``: a JS ``Proxy`` of the push
  function in place (whatever it is: Array's own, or GTM's own wrapper), whose ``apply``
  trap calls it first (its result and errors are the caller's, untouched), then reads the
  entries added since the last look. A script that wraps ``push`` after us (GTM does, and
  calls the push it found) still reaches us; a page that replaces ``window.dataLayer``
  itself is looked at again on each route change. Only ``arguments`` objects are gtag
  commands (``dataLayer.push(arguments)``), as gtag itself reads them.
- **tcf**: ``__tcfapi('addEventListener', 2, callback)``; the CMP (or the IAB stub, which
  queues the call until the CMP loads) calls back at load and at every change. Only the
  fields the rule reads are converted (a TCData's vendor lists are large).

A missing or broken API gives one debug line and leaves the tracker pending.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_proxy

from adtracker.base.vocabulary import ConsentSource
from adtracker.browser.ffi import is_null, js_object, to_py
from adtracker.consent.platform import PlatformConsent

#: TCData fields the TCF rule reads (adtracker.consent.tcf).
TCDATA_FIELDS = ("cmpStatus", "gdprApplies", "eventStatus", "purpose")


@functools.cache
def _kind_of() -> Any:
    """A native ``f(value) == Object.prototype.toString.call(value)``, taken on first use."""
    return js.Function.prototype.call.bind(js.Object.prototype.toString)


def consent_command(entry: Any) -> list[Any] | None:
    """A ``dataLayer`` entry as a gtag command's list, if it is a ``consent`` one."""
    if is_null(entry) or not hasattr(entry, "to_py"):
        return None  # text, numbers: never a gtag command
    if str(_kind_of()(entry)) != "[object Arguments]":
        return None
    command = to_py(getattr(js.Array, "from")(entry))
    return command if command and command[0] == "consent" else None


class ConsentModeHook:
    """Reads ``window.dataLayer`` and observes its pushes for gtag ``consent`` commands."""

    def __init__(self, follower: PlatformConsent, on_error: Callable[[str], None]) -> None:
        self._follower = follower
        self._on_error = on_error
        self._layer: Any = None
        self._seen = 0
        self._trap = create_proxy(self._apply)  # kept alive while the page lives

    def start(self) -> None:
        layer = getattr(js.window, "dataLayer", None)
        if is_null(layer):  # as gtag's own snippet does: later gtag() calls use it
            layer = js.Array.new()
            js.window.dataLayer = layer
        if not js.Array.isArray(layer):
            self._follower.unavailable("window.dataLayer is not an array")
            return
        self._layer, self._seen = layer, 0
        self._read_new()
        try:
            layer.push = js.Proxy.new(layer.push, js_object(apply=self._trap))
        except Exception as exc:  # frozen, or push not writable: route changes still read it
            self._follower.unavailable(f"dataLayer.push cannot be observed ({exc})")

    def route_changed(self) -> None:
        """Look again: the page may have replaced ``window.dataLayer`` meanwhile."""
        layer = getattr(js.window, "dataLayer", None)
        if self._layer is None or is_null(layer) or layer != self._layer:
            self.start()
        else:
            self._read_new()

    def _apply(self, target: Any, this: Any, args: Any) -> Any:
        result = js.Reflect.apply(target, this, args)  # the page's own push, first
        try:
            self._read_new()
        except Exception as exc:  # never into the page's push
            self._on_error(f"Consent Mode: {exc!r}")
        return result

    def _read_new(self) -> None:
        layer = self._layer
        length = int(layer.length)
        start = self._seen if self._seen <= length else 0  # emptied and refilled
        self._seen = length
        commands = []
        for i in range(start, length):
            command = consent_command(layer[i])
            if command is not None:
                commands.append(command)
        if commands or start == 0:
            self._follower.consent_mode(commands)


def _field(data: Any, name: str) -> tuple[bool, Any]:
    try:
        value = getattr(data, name)
    except AttributeError:
        return False, None
    return True, None if is_null(value) else to_py(value)


def tcdata(value: Any) -> object:
    """The TCData fields the rule reads, as Python (a non-object passes as it is)."""
    if is_null(value) or not hasattr(value, "to_py"):
        return value
    if js.Array.isArray(value):
        return to_py(value)
    out: dict[str, Any] = {}
    for name in TCDATA_FIELDS:
        present, field = _field(value, name)
        if present:
            out[name] = field
    return out


class TcfListener:
    """``__tcfapi('addEventListener', 2, …)``: every answer goes to the follower."""

    def __init__(self, follower: PlatformConsent, on_error: Callable[[str], None]) -> None:
        self._follower = follower
        self._on_error = on_error
        self._callback = create_proxy(self._answer)  # the CMP calls it for the page's life
        self._listening = False

    def start(self) -> None:
        api = getattr(js.window, "__tcfapi", None)
        if is_null(api) or not callable(api):
            self._follower.unavailable(
                "window.__tcfapi is not a function (no IAB TCF CMP, or its stub loads late)"
            )
            return
        try:
            api("addEventListener", 2, self._callback)
            self._listening = True
        except Exception as exc:  # a CMP that throws
            self._follower.unavailable(f"__tcfapi('addEventListener', 2, …) threw {exc}")

    def route_changed(self) -> None:
        if not self._listening:  # a CMP that was missing may have loaded since
            self.start()

    def _answer(self, tc_data: Any = None, success: Any = None, *_: Any) -> None:
        try:
            self._follower.tcf_answer(tcdata(tc_data), success)
        except Exception as exc:  # never into the CMP
            self._on_error(f"TCF: {exc!r}")


def follow(
    source: ConsentSource, follower: PlatformConsent, on_error: Callable[[str], None]
) -> ConsentModeHook | TcfListener:
    """Start following the page's consent platform; the caller keeps the result alive and
    calls its ``route_changed()`` on route changes."""
    watcher = (
        ConsentModeHook(follower, on_error) if source == "gcm" else TcfListener(follower, on_error)
    )
    watcher.start()
    return watcher
