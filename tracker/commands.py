"""The command queue's vocabulary (``adTracker.push([...])``), validated with pydantic.

A bad command gives a clear console error and is skipped; it never raises into the page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from tracker.ports import Log
from tracker.tracker import Tracker


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClickCommand(_Command):
    name: Literal["click"]
    url: str


class ImpressionCommand(_Command):
    name: Literal["impression"]
    url: str


class ViewCommand(_Command):
    name: Literal["view"]
    url: str


class ConversionCommand(_Command):
    name: Literal["conversion"]
    order: dict[str, Any]


class IdentifyCommand(_Command):
    name: Literal["identify"]
    user_id: str


class ConsentCommand(_Command):
    name: Literal["consent"]
    value: Literal["granted", "pending", "denied"]


class DebugCommand(_Command):
    name: Literal["debug"]
    value: bool


Command = Annotated[
    ClickCommand
    | ImpressionCommand
    | ViewCommand
    | ConversionCommand
    | IdentifyCommand
    | ConsentCommand
    | DebugCommand,
    Field(discriminator="name"),
]
_COMMAND: TypeAdapter[Command] = TypeAdapter(Command)
_FIELDS = {
    "click": ("url",),
    "impression": ("url",),
    "view": ("url",),
    "conversion": ("order",),
    "identify": ("user_id",),
    "consent": ("value",),
    "debug": ("value",),
}
NAMES = tuple(_FIELDS)


def parse(raw: object) -> Command | str:
    """The command, or a message saying what is wrong with it."""
    if not isinstance(raw, list | tuple) or not raw or not isinstance(raw[0], str):
        return f'a command is an array like ["click", url]; got {_show(raw)}'
    name, args = raw[0], list(raw[1:])
    fields = _FIELDS.get(name)
    if fields is None:
        return f"unknown command {name!r}; known: {', '.join(NAMES)}"
    if len(args) != len(fields):
        return f"{name!r} takes {len(fields)} argument(s) ({', '.join(fields)}), got {len(args)}"
    try:
        return _COMMAND.validate_python({"name": name, **dict(zip(fields, args, strict=True))})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"][1:])
        shown = "" if name == "conversion" else f" (got {_show(err.get('input'))})"  # no PII
        return f"{name!r}: {where}: {err['msg']}{shown}"


def run(tracker: Tracker, raw: object, log: Log, at: float | None = None) -> bool:
    """Apply one command. Returns False (after a console error) when it is invalid."""
    command = parse(raw)
    if isinstance(command, str):
        log.error(f"bad command: {command}")
        return False
    if isinstance(command, ClickCommand):
        tracker.track_click(command.url, at=at)
    elif isinstance(command, ImpressionCommand):
        tracker.track_impression(command.url, at=at)
    elif isinstance(command, ViewCommand):
        tracker.track_view(command.url, at=at)
    elif isinstance(command, ConversionCommand):
        tracker.track_conversion(command.order, at=at)
    elif isinstance(command, IdentifyCommand):
        tracker.identify(command.user_id)
    elif isinstance(command, ConsentCommand):
        tracker.consent(command.value)
    else:
        tracker.set_debug(command.value)
    return True


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
