"""The QA overlay's facts (``data-debug="overlay"``): what to say beside each ad, pure
(``board``). The browser edge (``adtracker.browser.overlay``) gathers them; the runtime's
``overlay.mjs`` only draws."""
