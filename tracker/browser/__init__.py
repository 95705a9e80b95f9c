"""The browser edge: the only code that imports ``js`` or ``pyodide``.

It adapts the browser to the core's ports (localStorage, fetch, console, timers,
DOM events) and starts the tracker::

    from tracker.browser import start
    tracker = start({"beacon_origins": "https://events.newtail-media.newtail.com.br"})
"""

from tracker.browser.boot import current, start

__all__ = ["current", "start"]
