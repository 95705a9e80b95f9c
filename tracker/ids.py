"""Random identifiers (uuid4). Python's ``uuid4`` draws from ``os.urandom``, which
Pyodide backs with the browser's ``crypto.getRandomValues``."""

import uuid


class Uuid4Source:
    def new_id(self) -> str:
        return str(uuid.uuid4())
