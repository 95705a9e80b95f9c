"""Every localStorage key the tracker uses. All start with ``adtracker:``."""

PREFIX = "adtracker:"
IDS = PREFIX + "ids"
PREBOOT = PREFIX + "preboot"  # written by the JS loader (web/src/tracker.js) before Python runs
DEDUP_PREFIX = PREFIX + "d:"
# + the first this many hex digits of the SHA-256 of (type, ids, URL): 80 bits, collisions
# are negligible (events/dedup.py).
DEDUP_DIGEST_CHARS = 20
OUTBOX_PREFIX = PREFIX + "o:"
HEALTH_PREFIX = PREFIX + "h:"  # + an origin: its answers lately (delivery/recovery.py)
FLUSH_LOCK = PREFIX + "flush"  # Web Locks name (not a storage key)
