"""The storefront's markup contract: the ``data-ad-*`` attributes that mark an ad.

Plain strings with no ``js`` import, so unit tests on CPython can pin the loader's
pre-boot copy (web/src/tracker.js) to them.
"""

CLICK_ATTR = "data-ad-click-url"
CLICK_SELECTOR = f"[{CLICK_ATTR}]"
IMPRESSION_ATTR = "data-ad-impression-url"
VIEW_ATTR = "data-ad-view-url"
#: Elements the impression/view watcher looks after.
WATCHED_SELECTOR = f"[{IMPRESSION_ATTR}],[{VIEW_ATTR}]"
