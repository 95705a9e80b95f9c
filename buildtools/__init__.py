"""The steps of ``python3 build.py`` that need more than a few lines, one module each.

``build.py`` (the stdlib-only entry) runs them in order; only ``common`` is imported before
the virtual environment exists, so it uses the standard library alone.
"""
