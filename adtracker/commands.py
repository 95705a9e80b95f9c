"""The command queue's vocabulary (``adTracker.push([...])``), validated with pydantic.

A bad command gives a clear console error and is skipped; it never raises into the page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from adtracker.base.ports import Log
from adtracker.base.vocabulary import COMMAND_NAMES, CommandName, Consent, UrlEventType
from adtracker.tracker import Tracker


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UrlEventCommand(_Command):
    """``["click" | "impression" | "view", url]``"""

    name: UrlEventType
    url: str


class ConversionCommand(_Command):
    name: Literal["conversion"]
    order: dict[str, Any]


class IdentifyCommand(_Command):
    name: Literal["identify"]
    user_id: str


class ConsentCommand(_Command):
    name: Literal["consent"]
    value: Consent


class DebugCommand(_Command):
    name: Literal["debug"]
    value: bool


Command = Annotated[
    UrlEventCommand | ConversionCommand | IdentifyCommand | ConsentCommand | DebugCommand,
    Field(discriminator="name"),
]
_COMMAND: TypeAdapter[Command] = TypeAdapter(Command)
# The positional arguments of each command, in order.
ARGUMENTS: dict[CommandName, tuple[str, ...]] = {
    **dict.fromkeys(get_args(UrlEventType), ("url",)),
    "conversion": ("order",),
    "identify": ("user_id",),
    "consent": ("value",),
    "debug": ("value",),
}


def parse(raw: object) -> Command | str:
    """The command, or a message saying what is wrong with it."""
    if not isinstance(raw, list | tuple) or not raw or not isinstance(raw[0], str):
        return f'a command is an array like ["click", url]; got {_show(raw)}'
    name, args = raw[0], list(raw[1:])
    fields = ARGUMENTS.get(name)  # type: ignore[call-overload]
    if fields is None:
        return f"unknown command {name!r}; known: {', '.join(COMMAND_NAMES)}"
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
    if isinstance(command, UrlEventCommand):
        track = {
            "click": tracker.track_click,
            "impression": tracker.track_impression,
            "view": tracker.track_view,
        }[command.name]
        track(command.url, at=at)
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
