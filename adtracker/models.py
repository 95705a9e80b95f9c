"""pydantic models for every byte that crosses a boundary: event bodies sent,
server responses read, and records kept in storage."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from adtracker.limits import MAX_ID_LENGTH

#: An id the host gives (``data-user-id``, ``identify``, a named place): 1 to
#: ``MAX_ID_LENGTH`` characters, no control character.
HostId = Annotated[
    str, Field(min_length=1, max_length=MAX_ID_LENGTH, pattern=r"^[^\x00-\x1f\x7f]+$")
]
HOST_ID: TypeAdapter[str] = TypeAdapter(HostId)


class EventBody(BaseModel):
    """Body of a click/impression/view beacon. We always send both ids (VTEX's clicks guide)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str = Field(min_length=1)
    session_id: str = Field(min_length=1)


class AjvError(BaseModel):
    """One entry of VTEX's 422 answer (Ajv's error format)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    instance_path: str = Field(default="", alias="instancePath")
    schema_path: str = Field(default="", alias="schemaPath")
    keyword: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    message: str = ""

    def describe(self) -> str:
        missing = self.params.get("missingProperty")
        if isinstance(missing, str):
            where = self.instance_path or "the body"
            return f"missing property {missing!r} in {where}"
        where = self.instance_path or "body"
        return f"{where}: {self.message or self.keyword}"


AjvErrors: TypeAdapter[list[AjvError]] = TypeAdapter(list[AjvError])

# --- stored records (localStorage values) -------------------------------------------------


class IdentityRecord(BaseModel):
    """``adtracker:ids``: the generated ids and when the session was last active."""

    model_config = ConfigDict(extra="ignore")

    anon_user_id: str = Field(min_length=1, max_length=128)
    session_id: str = Field(min_length=1, max_length=128)
    session_seen: float = Field(ge=0)


class DedupMark(BaseModel):
    """``adtracker:d:<key>``: until when (epoch seconds) an event with that key is a duplicate."""

    model_config = ConfigDict(extra="ignore")

    e: int = Field(ge=0, description="expiry, epoch seconds")


class PrebootClick(BaseModel):
    """One click the JavaScript loader recorded before Python was ready (``adtracker:preboot``)."""

    model_config = ConfigDict(extra="ignore")

    u: str = Field(description="data-ad-click-url, verbatim")
    t: float = Field(ge=0, description="click time, epoch milliseconds")
