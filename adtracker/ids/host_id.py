"""What a host id is: ``data-user-id``, ``data-session-id``, ``identify``, an id read from
a named place, the publisher id."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, TypeAdapter

from adtracker.base.limits import MAX_ID_LENGTH

#: 1 to ``MAX_ID_LENGTH`` characters, no control character.
HostId = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[^\x00-\x1f\x7f]+$")
]
HOST_ID: TypeAdapter[str] = TypeAdapter(HostId)
