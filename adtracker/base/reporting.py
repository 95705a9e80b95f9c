"""Where the tracker's words go: console lines (debug and warn only while debug is on;
errors always) and each decision, to the console and to the host's observer.

The debug flag is checked here and only here.
"""

from __future__ import annotations

from collections.abc import Callable

from adtracker.base.decisions import Decision
from adtracker.base.ports import Log, Scheduler
from adtracker.base.vocabulary import EventType, Outcome

Observer = Callable[[Decision], None]


class Reporter:
    """A :class:`~adtracker.base.ports.Log` gated by the debug flag, plus decision reporting."""

    def __init__(
        self, log: Log, scheduler: Scheduler, *, debug: bool, observer: Observer | None
    ) -> None:
        self.on = debug  # debug logging (``data-debug``, ``["debug", true]``)
        self._log = log
        self._scheduler = scheduler
        self._observer = observer

    def debug(self, message: str) -> None:
        if self.on:
            self._log.debug(message)

    def warn(self, message: str) -> None:
        if self.on:
            self._log.warn(message)

    def error(self, message: str) -> None:
        self._log.error(message)

    def decide(self, decision: Decision) -> None:
        """Report a decision off the hot path: logged while debug is on, and observed."""
        if self.on:
            log = self._log
            self._scheduler.soon(lambda: log.debug(decision.message()))
        if self._observer is not None:
            observer = self._observer
            self._scheduler.soon(lambda: observer(decision))

    def outcome(
        self,
        event_type: EventType,
        url: object,
        outcome: Outcome,
        reason: str,
        until: float | None = None,
    ) -> Outcome:
        """Report what became of an event (:meth:`decide`) and return its outcome."""
        shown = url if isinstance(url, str) else repr(url)
        self.decide(Decision(event_type, shown, outcome, reason, until))
        return outcome


class ReportingSurface:
    """The debug surface of an object that reports through ``self._reporter`` (the
    tracker): its decision log switch, its console and outside decisions."""

    _reporter: Reporter

    @property
    def debug(self) -> bool:
        """True while decisions are logged to the console."""
        return self._reporter.on

    @debug.setter
    def debug(self, on: bool) -> None:
        self._reporter.on = bool(on)

    def set_debug(self, on: bool) -> None:
        """Turn decision logging on or off at run time (``["debug", true]``)."""
        self.debug = on

    @property
    def log(self) -> Log:
        """The console: debug and warn lines only while debug is on."""
        return self._reporter

    def report(self, decision: Decision) -> None:
        """Report a decision taken outside the tracker (platform events) like its own."""
        self._reporter.decide(decision)
