"""WebKit through Selenium: WebKitGTK's MiniBrowser driven by WebKitWebDriver, under Xvfb.

Playwright's own WebKit build cannot be downloaded here; Debian's ``webkit2gtk-driver``
(``WebKitWebDriver``) drives the ``MiniBrowser`` that ``libwebkit2gtk-4.1-0`` installs.
MiniBrowser has no headless mode, so a private Xvfb display is started for it.
WebDriver classic has no browser contexts: one session serves every test, and each test's
storage and cookies are cleared when it ends (each test also has its own origins).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import select
import shutil
import subprocess
import time
from typing import Any

from engines import Driver, EngineMissing

WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver"
MINIBROWSER_GLOB = "/usr/lib/*/webkit2gtk-4.1/MiniBrowser"
INSTALL = (
    "install Debian's webkit2gtk-driver, libwebkit2gtk-4.1-0 and xvfb "
    "(apt-get install webkit2gtk-driver libwebkit2gtk-4.1-0 xvfb, as root; .ci/run does it)"
)
XVFB_START_TIMEOUT = 10.0
#: Window size giving a 1280 × 720 viewport (MiniBrowser's toolbar takes the rest).
WINDOW = (1280, 758)


def find_minibrowser() -> str:
    found = sorted(glob.glob(MINIBROWSER_GLOB))
    if not found:
        raise EngineMissing(f"no MiniBrowser at {MINIBROWSER_GLOB}: {INSTALL}")
    return found[0]


class Xvfb:
    """A private X display: Xvfb picks a free display number itself (``-displayfd``)."""

    def __init__(self) -> None:
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise EngineMissing(f"Xvfb is missing: {INSTALL}")
        read_end, write_end = os.pipe()
        try:
            self.process = subprocess.Popen(
                [
                    xvfb,
                    "-displayfd",
                    str(write_end),
                    "-screen",
                    "0",
                    "1280x1024x24",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ],
                pass_fds=(write_end,),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            os.close(write_end)
            number = b""
            deadline = time.monotonic() + XVFB_START_TIMEOUT
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                ready, _, _ = select.select([read_end], [], [], 0.2)
                if ready:
                    chunk = os.read(read_end, 16)
                    if not chunk:
                        break
                    number += chunk
        finally:
            os.close(read_end)
        if not number.strip().isdigit():
            self.stop()
            raise RuntimeError(f"Xvfb did not report a display within {XVFB_START_TIMEOUT} s")
        self.display = f":{number.decode().strip()}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


class SeleniumWebKitDriver(Driver):
    engine = "webkit"
    ready_timeout = 90.0  # Pyodide's start-up blocks WebKit's main thread far longer

    def __init__(self, webdriver: Any, xvfb: Xvfb) -> None:
        super().__init__()
        self._driver = webdriver
        self._xvfb = xvfb
        caps = webdriver.capabilities
        self.version = f"{caps.get('browserName', 'webkit')} {caps.get('browserVersion', '')}"

    @classmethod
    def start(cls) -> SeleniumWebKitDriver:
        if not os.path.exists(WEBKIT_DRIVER):
            raise EngineMissing(f"no {WEBKIT_DRIVER}: {INSTALL}")
        minibrowser = find_minibrowser()
        try:
            from selenium import webdriver
            from selenium.webdriver.webkitgtk.options import Options
            from selenium.webdriver.webkitgtk.service import Service
        except ImportError as err:
            raise EngineMissing(
                f"{err}: selenium is a dev dependency in pyproject.toml (python3 build.py "
                "installs it into .venv)"
            ) from err
        xvfb = Xvfb()
        try:
            options = Options()
            options.binary_location = minibrowser
            options.add_argument("--automation")
            # Navigation commands return at DOMContentLoaded; goto() waits for "load"
            # itself unless a test asks for less (a page whose load event is held).
            options.page_load_strategy = "none"
            env = {**os.environ, "DISPLAY": xvfb.display}
            # An explicit driver path: Selenium Manager is never asked to download one.
            service = Service(executable_path=WEBKIT_DRIVER, env=env)
            driver = webdriver.WebKitGTK(options=options, service=service)
        except BaseException:
            xvfb.stop()
            raise
        driver.set_script_timeout(120)  # > ready_timeout: ready_state awaits in-page
        driver.set_page_load_timeout(30)
        driver.set_window_size(*WINDOW)
        return cls(driver, xvfb)

    def new_page(self) -> None:
        self._reset_errors()
        self._driver.get("about:blank")

    def close_page(self) -> None:
        # No contexts in WebDriver classic: forget this test's origin state by hand.
        with contextlib.suppress(Exception):
            self._run(
                "(() => { try { localStorage.clear(); sessionStorage.clear(); } catch (err) {} })()"
            )
        with contextlib.suppress(Exception):
            self._driver.delete_all_cookies()
        self._driver.get("about:blank")

    def _navigate(self, go: Any, wait_until: str, timeout: float = 30.0) -> None:
        """Mark the current document, navigate, then poll until a new, unmarked document
        reached ``wait_until`` (commands are not blocked on page loads: see start())."""
        with contextlib.suppress(Exception):  # e.g. a page that is itself still loading
            self._run("(() => { window.__e2eLeaving = true; })()")
        go()
        states = ("complete",) if wait_until == "load" else ("interactive", "complete")
        deadline = time.monotonic() + timeout
        while True:
            state = self._poll_state()
            if state in states:
                return
            assert time.monotonic() < deadline, f"webkit: no {wait_until} within {timeout} s"
            time.sleep(0.05)

    def _poll_state(self) -> str | None:
        """The new document's readyState, or None while the old one is still there or is
        unloading. A poll that lands on the old document as it unloads fails with "no such
        frame: Callback was not called before the unload event" (commands do not wait for
        page loads, so the poll races the navigation): that is "not yet", not a failure."""
        from selenium.common.exceptions import NoSuchFrameException, WebDriverException

        try:
            return self._run(  # type: ignore[no-any-return]
                "(window.__e2eLeaving || location.href === 'about:blank') ? null "
                ": document.readyState"
            )
        except NoSuchFrameException:
            return None
        except WebDriverException as err:
            if "unload" in str(err):
                return None
            raise

    def _goto(self, url: str, wait_until: str) -> None:
        self._navigate(lambda: self._driver.get(url), wait_until)

    def _reload(self) -> None:
        self._navigate(self._driver.refresh, "load")

    def _run(self, expression: str) -> Any:
        # WebKitWebDriver serializes a result with the page's own JSON, so a page's
        # Array.prototype.toJSON (tests/e2e/other_scripts.py) turns arrays into strings:
        # the page hands back JSON text made with a replacer that skips toJSON.
        text = self._driver.execute_script(
            f"return Promise.resolve({expression}).then((v) => v === undefined ? null"
            " : JSON.stringify(v, function (key) { return this[key]; }));"
        )
        return None if text is None else json.loads(text)

    def click(self, selector: str) -> None:
        from selenium.common.exceptions import JavascriptException
        from selenium.webdriver.common.actions.action_builder import ActionBuilder
        from selenium.webdriver.common.by import By

        try:
            self._driver.find_element(By.CSS_SELECTOR, selector).click()
            return
        except JavascriptException:
            # On a page whose Object.prototype is polluted, WebKitWebDriver cannot return
            # an element ("cannot serialize cyclic structures"): the same trusted pointer
            # click, at the element's centre, found through our own JSON (_run).
            pass
        x, y = self._run(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        actions = ActionBuilder(self._driver)
        actions.pointer_action.move_to_location(int(x), int(y))
        actions.pointer_action.click()
        actions.perform()

    def url(self) -> str:
        return self._driver.current_url

    def _native_errors(self) -> list[str]:
        return []  # WebDriver classic reports none: instrument.js is the only source

    def quit(self) -> None:
        try:
            self._driver.quit()
        finally:
            self._xvfb.stop()
