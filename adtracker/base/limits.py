"""Every size, count and age bound of the core, each defined once.

Bounds keep the tracker's memory and localStorage small whatever the host page or a
server does. Where the browser edge needs one, it imports it from here.
"""

from __future__ import annotations

KIB = 1024
HOUR_SECONDS = 3600.0
DAY_SECONDS = 24 * HOUR_SECONDS

# --- what may be sent -------------------------------------------------------------------

# A beacon URL longer than this is refused (VTEX's URLs are a few hundred characters).
MAX_URL_CHARS = 8192
# A request body larger than this is refused (it must fit the outbox): in practice only
# a conversion with very many items comes near it.
MAX_BODY_CHARS = 32 * KIB
# An event never known to have reached the server (queued offline, answered 408/429/503,
# or a click the loader queued before Python started) is sent until it is this old.
MAX_EVENT_AGE_SECONDS = DAY_SECONDS
# A session last seen further in the future than this (the clock was set back) is over.
MAX_CLOCK_SKEW_SECONDS = DAY_SECONDS
# Clicks: one per user, per device, per ad, per hour (VTEX Ads' window; events/dedup.py).
CLICK_WINDOW_SECONDS = HOUR_SECONDS
# A beacon request is aborted as timed out after this (data-request-timeout's default).
DEFAULT_REQUEST_TIMEOUT_SECONDS = 10.0
# An attempt leases its outbox entry for its timeout plus this margin (delivery/sender.py).
LEASE_MARGIN_SECONDS = 5.0
# A generated session id is renewed after this many days without activity
# (data-session-ttl-days' default).
DEFAULT_SESSION_TTL_DAYS = 30.0

# --- what is read ------------------------------------------------------------------------

# A host id (user, session, publisher id; read from a named place too) has at most this
# many characters.
MAX_ID_LENGTH = 256
# An id the tracker generated (adtracker:ids) has at most this many characters.
MAX_OWN_ID_LENGTH = 128

# A response body is read and parsed only up to this size: a hostile or broken server
# cannot make us spend memory or time on more.
MAX_RESPONSE_CHARS = 64 * KIB

# --- what is kept -------------------------------------------------------------------------

# A value under one of our storage keys larger than this is treated as corrupt. The
# largest value we write is an outbox entry (a URL, a body and a few fields).
MAX_STORED_VALUE_CHARS = 2 * MAX_BODY_CHARS
# Dedup marks kept in storage; beyond it the soonest-expiring go first. 400 marks take
# about 19,000 characters. Dropping one early can only let through an event the server
# itself deduplicates, never lose one.
MAX_MARKS = 400
# The outbox never holds more than this many events waiting (not in flight), nor more
# characters of JSON summed over them, whatever happens; beyond them its oldest waiting
# events are dropped. An event in flight is never dropped: its answer decides.
MAX_OUTBOX_ENTRIES = 100
MAX_OUTBOX_CHARS = 48 * KIB
# Requests one page keeps in flight; a new event beyond them waits in the outbox and is
# sent when one ends (a page generating events faster than the server answers).
MAX_IN_FLIGHT = 100
# Events waiting for consent, in memory only.
MAX_WAITING = 100
# The JS loader's pre-boot queue (adtracker:preboot; web/src/tracker.js reads these at
# build time): the newest clicks, the newest ads it watched, and per ad the newest
# changes of its visible ratio.
MAX_PREBOOT_CLICKS = 50
MAX_PREBOOT_ADS = 40
MAX_PREBOOT_CHANGES = 24
# The stored queue's JSON stays under this: beyond it the oldest ads stay in the page's
# memory only (clicks first: a click's URL is lost if the page goes; an ad's is re-seen).
MAX_PREBOOT_CHARS = 32 * KIB
# The loader writes a change to the queue within this, and while an ad is in view on a
# visible page it writes every this often (each write stamps "observed until").
PREBOOT_WRITE_SECONDS = 0.25
