"""What a beacon is on the wire: where it may go by default, and how its request is made.

Standard library only: the JS loader's build reads these (``buildtools/loader.py``), so
the loader's own pre-boot click (``web/src/click.js``) goes to the same hosts with the
same request as Python's transport (``adtracker.browser.platform.FetchTransport``).
"""

from __future__ import annotations

# Every host VTEX's documents send VTEX Ads events to, allowed by default:
# - the live guides (clicks, impressions, views, conversions) and 5.6-events.md of
#   vtex/vtexads-api-docs: conversions go here by default (VTEX's documented endpoint);
DEFAULT_BEACON_ORIGIN = "https://events.newtail-media.newtail.com.br"
# - VTEX-branded pages (Get ads banner examples, "Ads events notification"): real Get
#   ads responses may carry event URLs on it;
VTEX_ADS_EVENTS_ORIGIN = "https://events-api.ads.vtex.com"
# - the conversion endpoint of 5.7-transparent-integration.md, and the host VTEX's older
#   IO apps post conversions to (the CSP example of 5.2-vtex-integration.md lists it).
NEWTAIL_MEDIA_ORIGIN = "https://newtail-media.newtail.com.br"
DEFAULT_BEACON_ORIGINS = (DEFAULT_BEACON_ORIGIN, VTEX_ADS_EVENTS_ORIGIN, NEWTAIL_MEDIA_ORIGIN)
DEFAULT_CONVERSION_URL = DEFAULT_BEACON_ORIGIN + "/v1/beacon/conversion"

#: The request's headers (VTEX Ads: JSON in, JSON out; no authentication).
REQUEST_HEADERS = {"accept": "application/json", "content-type": "application/json"}
#: The rest of ``fetch``'s init; the body and the timeout's signal are set per request.
REQUEST_INIT = {
    "method": "POST",
    # Dispatched synchronously and kept alive through an unload (sendBeacon with a JSON
    # Blob to another origin is never sent by Chromium: the preflight goes, the POST not).
    "keepalive": True,
    "mode": "cors",
    "credentials": "omit",  # VTEX Ads is cookie-less
    # A redirect would re-POST wherever the server says: never follow one.
    "redirect": "manual",
}
