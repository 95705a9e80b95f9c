"""One small driver interface over three browser engines, for the cross-engine e2e tests.

=========  ===============================================  ================================
engine     browser                                          driven by
=========  ===============================================  ================================
chromium   Debian's ``/usr/bin/chromium``                   Playwright (pytest-playwright's
                                                            session ``browser``)
firefox    Debian's ``firefox-esr``                         npm ``puppeteer-core`` over
                                                            WebDriver BiDi, through
                                                            ``puppeteer_bridge.cjs``
webkit     WebKitGTK's ``MiniBrowser --automation``         Selenium + ``WebKitWebDriver``,
                                                            under Xvfb
=========  ===============================================  ================================

One browser per engine per test session; each test gets a fresh page (a new browser
context where the engine has them, else storage and cookies cleared afterwards; every test
also runs on its own origins, since its servers listen on fresh ports).

What the interface offers is what every engine can do through its driver: ``goto``,
``reload``, ``evaluate`` (a JavaScript function's source plus JSON arguments; promises are
awaited), ``click`` (a real pointer click on a CSS selector), ``url``, bounded waits
(``wait_for``, ``wait_url``, ``wait_ready``, ``wait_outcome``) and page errors. Page errors
come from the engine where its driver reports them (Playwright, puppeteer), and from
``instrument.js`` (``window.onerror`` and ``unhandledrejection``), which every test page
loads before the tracker; the same script records the tracker's ``adtracker:event``
decisions per page.

A missing engine is never skipped: :func:`launch` fails the test saying how to install it.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ENGINES = ("chromium", "firefox", "webkit")
HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
#: The page instrumentation every cross-engine test page loads (same origin, so a strict
#: CSP allows it) before tracker.js.
INSTRUMENT_JS = (HERE / "instrument.js").read_text(encoding="utf-8")
INSTRUMENT_PATH = "/e2e/instrument.js"

_READY_STATE = """(ms) => Promise.race([
  window.adTracker.ready.then(
    () => ({ok: true, reason: ""}),
    (err) => ({ok: false, reason: String((err && err.message) || err)})),
  new Promise((resolve) => setTimeout(
    () => resolve({ok: null, reason: `adTracker.ready not settled after ${ms} ms`}), ms)),
])"""


class EngineMissing(Exception):
    """An engine (or its driver) is not installed; the message says how to install it."""


class Driver(ABC):
    """One browser, one current page. Subclasses implement the primitives."""

    engine: str
    #: Longest wait for ``adTracker.ready`` (Pyodide's start-up is slowest in WebKit).
    ready_timeout = 40.0

    def __init__(self) -> None:
        self._errors: list[str] = []
        self._expected: list[str] = []

    # ------------------------------------------------------------------ primitives

    @abstractmethod
    def new_page(self) -> None:
        """Open a fresh page (fresh context/profile state where the engine allows)."""

    @abstractmethod
    def close_page(self) -> None:
        """Close the current page and forget its state."""

    @abstractmethod
    def _goto(self, url: str, wait_until: str) -> None: ...

    @abstractmethod
    def _reload(self) -> None: ...

    @abstractmethod
    def _run(self, expression: str) -> Any:
        """Evaluate a JavaScript expression in the page; await a promise; return JSON."""

    @abstractmethod
    def click(self, selector: str) -> None:
        """A real (trusted) left click in the middle of the element."""

    @abstractmethod
    def url(self) -> str: ...

    @abstractmethod
    def _native_errors(self) -> list[str]:
        """Uncaught page errors the engine's driver reported since the last call."""

    @abstractmethod
    def quit(self) -> None: ...

    # ------------------------------------------------------------------ shared

    def evaluate(self, fn: str, *args: Any) -> Any:
        """Call the JavaScript function ``fn`` (its source) with JSON ``args``."""
        return self._run(f"({fn})(...{json.dumps(list(args))})")

    def goto(self, url: str, *, wait_until: str = "load") -> None:
        """Open ``url``; return after its ``load`` event (or ``domcontentloaded``)."""
        if wait_until not in ("load", "domcontentloaded"):
            raise ValueError(wait_until)
        self._harvest()
        self._goto(url, wait_until)

    def reload(self) -> None:
        self._harvest()
        self._reload()

    def _harvest(self) -> None:
        """Keep the current page's instrumented errors before it goes away."""
        try:
            found = self.evaluate("() => (window.__e2eErrors ? window.__e2eErrors.splice(0) : [])")
        except Exception:  # no page, or a page mid-navigation: nothing to keep
            return
        self._errors.extend(f"{self.engine}: {e}" for e in found or [])

    def expect_errors(self, fragment: str) -> None:
        """Page errors containing ``fragment`` are expected in this page (not reported)."""
        self._expected.append(fragment)

    def page_errors(self) -> list[str]:
        """Every uncaught page error seen so far (engine-reported and instrumented),
        except expected ones."""
        self._harvest()
        self._errors.extend(f"{self.engine}: {e}" for e in self._native_errors())
        return [e for e in self._errors if not any(f in e for f in self._expected)]

    def _reset_errors(self) -> None:
        self._errors, self._expected = [], []

    def pause(self, seconds: float) -> None:
        """Wait a fixed time (the Playwright adapter keeps delivering events meanwhile)."""
        time.sleep(seconds)

    def wait_for(self, fn: str, *args: Any, timeout: float = 10.0, what: str = "") -> Any:
        """Poll (bounded) until the JavaScript function ``fn`` returns a truthy value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(fn, *args)
            if value or time.monotonic() >= deadline:
                break
            self.pause(0.05)
        assert value, f"{self.engine}: not true within {timeout} s: {what or fn}"
        return value

    def wait_url(self, url: str, timeout: float = 10.0) -> None:
        """Wait (bounded) until the page's own document is at ``url``.

        The driver's URL is not enough: WebKit's WebDriver reports a navigation's URL while
        the old document is still the one that scripts run in. Asking ``location.href``
        inside the page answers only once the new document has been committed."""
        deadline = time.monotonic() + timeout
        here = ""
        while True:
            try:
                here = self.evaluate("() => location.href")
            except Exception:  # a script sent mid-navigation: not there yet
                here = ""
            if here == url or time.monotonic() >= deadline:
                break
            self.pause(0.05)
        assert here == url, f"{self.engine}: at {here or self.url()}, expected {url}"

    def ready_state(self, timeout: float | None = None) -> dict[str, Any]:
        """How ``adTracker.ready`` settled: ``{"ok": True|False|None, "reason": str}``."""
        timeout = timeout or self.ready_timeout
        self.wait_for("() => !!window.adTracker", timeout=timeout, what="window.adTracker")
        return self.evaluate(_READY_STATE, int(timeout * 1000))

    def wait_ready(self, timeout: float | None = None) -> None:
        state = self.ready_state(timeout)
        assert state["ok"] is True, f"{self.engine}: tracker did not start: {state['reason']}"

    def tracker_events(self) -> list[dict[str, Any]]:
        """The current page's ``adtracker:event`` details, in order."""
        return self.evaluate("() => window.__e2eEvents || []")

    def outcomes(self, outcome: str, url: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.tracker_events()
            if e.get("outcome") == outcome and (url is None or e.get("url") == url)
        ]

    def wait_outcome(
        self, outcome: str, *, url: str | None = None, count: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait (bounded) until the current page saw ``count`` decisions ``outcome``."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.outcomes(outcome, url)
            if len(found) >= count or time.monotonic() >= deadline:
                break
            self.pause(0.05)
        assert len(found) >= count, (
            f"{self.engine}: expected {count} adtracker:event {outcome!r}"
            f"{f' for {url}' if url else ''} within {timeout} s; saw {self.tracker_events()!r}"
        )
        return found


@contextmanager
def launch(engine: str, request: pytest.FixtureRequest) -> Iterator[Driver]:
    """Start ``engine`` once (for the session); fail loudly, saying how, if it is missing."""
    try:
        if engine == "chromium":
            from engines.playwright_driver import PlaywrightDriver

            driver: Driver = PlaywrightDriver(request.getfixturevalue("browser"))
        elif engine == "firefox":
            from engines.puppeteer_driver import PuppeteerDriver

            driver = PuppeteerDriver.start()
        elif engine == "webkit":
            from engines.selenium_driver import SeleniumWebKitDriver

            driver = SeleniumWebKitDriver.start()
        else:
            raise ValueError(f"unknown engine {engine!r}")
    except EngineMissing as missing:
        pytest.fail(f"{engine} is not installed: {missing}", pytrace=False)
    try:
        yield driver
    finally:
        driver.quit()
