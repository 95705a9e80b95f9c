"""Identifiers: random ids (uuid4) and SHA-256 digests.

Python's ``uuid4`` draws from ``os.urandom``, which Pyodide backs with the browser's
``crypto.getRandomValues``."""

import hashlib
import uuid


class Uuid4Source:
    def new_id(self) -> str:
        return str(uuid.uuid4())


def sha256_hex(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8) as 64 lowercase hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
