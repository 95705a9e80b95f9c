"""The browser edge: the only code that imports ``js`` or ``pyodide``.

It adapts the browser to the core's ports (localStorage, fetch, console, timers,
DOM events) and starts the tracker. See ``tracker.browser.boot.start``.
"""
