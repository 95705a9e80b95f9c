"""The browser edge: the only code that imports ``js`` or ``pyodide``.

It adapts the browser to the core's ports (localStorage, fetch, console, timers,
DOM events) and starts the tracker:

    from adtracker.browser import start
    tracker = start({"beacon_origins": "https://events.newtail-media.newtail.com.br"})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and the API docs (griffe); at run time: __getattr__
    from adtracker.browser.boot import current, start

__all__ = ["current", "start"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that ``adtracker.browser.markup`` (pure strings) also
    # imports on CPython, where there is no ``js`` module.
    if name in __all__:
        from adtracker.browser import boot

        return getattr(boot, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
