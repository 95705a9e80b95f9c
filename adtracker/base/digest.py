"""SHA-256 digests (dedup keys, a conversion's personal data)."""

import hashlib


def sha256_hex(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8) as 64 lowercase hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
