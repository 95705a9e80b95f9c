"""Firefox through npm ``puppeteer-core`` over WebDriver BiDi.

Python speaks JSON lines to ``puppeteer_bridge.cjs`` (one Node process per test session).
Playwright's own Firefox cannot be downloaded here, and its ``moz-firefox`` channel fails
with Debian's firefox-esr (``emulation.setMediaFeaturesOverride`` is unknown to it), so
puppeteer-core, which speaks plain WebDriver BiDi, drives the system Firefox.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from engines import REPO_ROOT, Driver, EngineMissing

BRIDGE = Path(__file__).with_name("puppeteer_bridge.cjs")
WEB = REPO_ROOT / "web"
FIREFOX_CANDIDATES = ("/usr/bin/firefox-esr", "/usr/bin/firefox")
#: Longest a single bridge command may take before the test fails (a hung browser).
COMMAND_TIMEOUT = 90.0


def find_firefox() -> str:
    for candidate in FIREFOX_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    raise EngineMissing(
        "no Firefox at " + " or ".join(FIREFOX_CANDIDATES) + ": install Debian's firefox-esr "
        "(apt-get install firefox-esr, as root; .ci/run does it)"
    )


class BridgeError(RuntimeError):
    pass


class PuppeteerDriver(Driver):
    engine = "firefox"

    def __init__(self, process: subprocess.Popen[str]) -> None:
        super().__init__()
        self._process = process
        self._next_id = 0
        self.version = ""

    @classmethod
    def start(cls) -> PuppeteerDriver:
        firefox = find_firefox()
        node = shutil.which("node")
        if node is None:
            raise EngineMissing(
                "Node.js is missing: apt-get install npm (as root; .ci/run does it)"
            )
        if not (WEB / "node_modules" / "puppeteer-core" / "package.json").exists():
            raise EngineMissing(
                "web/node_modules/puppeteer-core is missing: run `python3 build.py` "
                "(its npm ci installs web/package.json's devDependencies)"
            )
        process = subprocess.Popen(
            [node, str(BRIDGE), str(WEB)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        driver = cls(process)
        try:
            driver.version = driver._call(
                "launch",
                executablePath=firefox,
                # Keep Firefox on 127.0.0.1: no updates, telemetry or remote settings.
                prefs={
                    "app.update.enabled": False,
                    "browser.safebrowsing.malware.enabled": False,
                    "browser.safebrowsing.phishing.enabled": False,
                    "datareporting.policy.dataSubmissionEnabled": False,
                    "toolkit.telemetry.enabled": False,
                    "network.captive-portal-service.enabled": False,
                    "network.connectivity-service.enabled": False,
                },
            )
        except BaseException:
            driver.quit()
            raise
        return driver

    def _call(self, cmd: str, **args: Any) -> Any:
        """Send one command; wait (bounded) for its answer."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._next_id += 1
        self._process.stdin.write(json.dumps({"id": self._next_id, "cmd": cmd, **args}) + "\n")
        self._process.stdin.flush()
        answer: list[str] = []
        reader = threading.Thread(
            target=lambda: answer.append(self._process.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(COMMAND_TIMEOUT)
        if not answer or not answer[0]:
            raise BridgeError(
                f"puppeteer bridge: no answer to {cmd} within {COMMAND_TIMEOUT} s "
                f"(exit code {self._process.poll()})"
            )
        message = json.loads(answer[0])
        if message.get("id") != self._next_id:
            raise BridgeError(f"puppeteer bridge: out-of-order answer {message!r}")
        if not message["ok"]:
            raise BridgeError(f"{cmd}: {message['error']}")
        return message["value"]

    def new_page(self) -> None:
        self._reset_errors()
        self._call("newPage")

    def close_page(self) -> None:
        self._call("closePage")

    def _goto(self, url: str, wait_until: str) -> None:
        self._call("goto", url=url, waitUntil=wait_until)

    def _reload(self) -> None:
        self._call("reload")

    def _run(self, expression: str) -> Any:
        return self._call("evaluate", expression=expression)

    def click(self, selector: str) -> None:
        self._call("click", selector=selector)

    def url(self) -> str:
        return self._call("url")

    def _native_errors(self) -> list[str]:
        return self._call("errors")

    def quit(self) -> None:
        if self._process.poll() is None:
            try:
                self._call("close")
            except (BridgeError, OSError, ValueError):
                pass
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
