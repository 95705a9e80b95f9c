"""Chromium through Playwright: pytest-playwright's session browser, a context per page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engines import Driver

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page


class PlaywrightDriver(Driver):
    engine = "chromium"

    def __init__(self, browser: Browser) -> None:
        super().__init__()
        self._browser = browser
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._page_errors: list[str] = []
        self.version = browser.version

    @property
    def page(self) -> Page:
        assert self._page is not None, "no page: call new_page() first"
        return self._page

    def new_page(self) -> None:
        self.close_page()
        self._reset_errors()
        self._page_errors = []
        self._context = self._browser.new_context(viewport={"width": 1280, "height": 720})
        self._page = self._context.new_page()
        self._page.on("pageerror", lambda exc: self._page_errors.append(str(exc)))

    def close_page(self) -> None:
        if self._context is not None:
            self._context.close()
        self._context = self._page = None

    def _goto(self, url: str, wait_until: str) -> None:
        self.page.goto(url, wait_until=wait_until)  # type: ignore[arg-type]

    def _reload(self) -> None:
        self.page.reload()

    def _run(self, expression: str) -> Any:
        return self.page.evaluate(expression)

    def click(self, selector: str) -> None:
        self.page.click(selector, no_wait_after=True)

    def pause(self, seconds: float) -> None:
        self.page.wait_for_timeout(seconds * 1000)  # time.sleep would stall Playwright

    def url(self) -> str:
        return self.page.url

    def _native_errors(self) -> list[str]:
        out, self._page_errors = self._page_errors, []
        return out

    def quit(self) -> None:
        self.close_page()  # the browser belongs to pytest-playwright
