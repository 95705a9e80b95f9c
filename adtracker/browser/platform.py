"""Browser implementations of the core's ports."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import js
from pyodide.ffi import create_once_callable, create_proxy

from adtracker.base.beacon import REQUEST_HEADERS, REQUEST_INIT
from adtracker.base.limits import MAX_RESPONSE_CHARS
from adtracker.base.ports import Scheduler, SendResult
from adtracker.browser.ffi import is_null, js_object

LOG_PREFIX = "[adtracker]"
FALLBACK_JITTER_MS = 400
# How long a flush keeps the cross-tab lock after its last write. Chromium hands a
# localStorage write to other tabs' processes asynchronously: a tab that took the lock
# the moment we released it could still read an entry without the lease we had just
# written, and send it again (the soak test met that as a second tab started, 2026-12-02).
# Holding the lock a little longer lets our writes reach them first; only other tabs'
# flushes wait, never a send.
LOCK_SETTLE_MS = 100
# A response body is read as a stream up to MAX_RESPONSE_CHARS bytes (never fewer bytes
# than characters), then the rest is cancelled unread: a hostile server cannot make us
# hold more than this and one network chunk.


class BrowserClock:
    def now(self) -> float:
        # Pyodide's C library reads the clock from ``Date.now()``: the same time as
        # ``js.Date.now()``, without a call through the proxy (the click path reads it
        # several times).
        return time.time()


class LocalStorage:
    """``window.localStorage``; every call may throw, and the core's Store handles that."""

    def __init__(self, storage: Any) -> None:
        self._s = storage

    def get(self, key: str) -> str | None:
        value = self._s.getItem(key)
        return None if is_null(value) else str(value)

    def set(self, key: str, value: str) -> None:
        self._s.setItem(key, value)

    def remove(self, key: str) -> None:
        self._s.removeItem(key)

    def keys(self) -> list[str]:
        n = int(self._s.length)
        return [str(k) for k in (self._s.key(i) for i in range(n)) if not is_null(k)]


def local_storage_or_none(captured: Any = None) -> Any:
    """``window.localStorage`` (or the loader's capture of it, ``captured``) when it can be
    used at all, else None (sandboxed, blocked)."""
    try:
        storage = js.window.localStorage if captured is None else captured
        if is_null(storage):
            return None
        storage.getItem("adtracker:probe")
        return storage
    except Exception:
        return None


class TimeoutScheduler:
    """Deferred work, coalesced: one ``setTimeout(0)`` runs everything queued since the
    last one, and ``pagehide`` runs what is still queued before the page goes away."""

    def __init__(self) -> None:
        self._queue: list[Callable[[], None]] = []
        self._armed = False
        self._drain_proxy = create_proxy(self._drain)
        js.window.addEventListener("pagehide", self._drain_proxy)

    def soon(self, fn: Callable[[], None]) -> None:
        self._queue.append(fn)
        if not self._armed:
            self._armed = True
            js.setTimeout(self._drain_proxy, 0)

    def _drain(self, *_args: Any) -> None:
        self._armed = False
        while self._queue:
            batch, self._queue = self._queue, []
            for fn in batch:
                try:
                    fn()
                except Exception as exc:  # never into the page
                    js.console.error(f"{LOG_PREFIX} deferred work failed: {exc!r}")

    def later(self, seconds: float, fn: Callable[[], None]) -> None:
        js.setTimeout(create_once_callable(fn), max(0, int(seconds * 1000)))


class WebLocks:
    """``navigator.locks`` (Web Locks API) across tabs; where it is missing, ``fn`` runs
    at once (leases in the outbox keep that safe)."""

    def __init__(self, on_error: Callable[[str], None]) -> None:
        self._on_error = on_error
        try:
            locks = js.navigator.locks
            self._locks = None if is_null(locks) else locks
        except Exception:
            self._locks = None

    @property
    def available(self) -> bool:
        return self._locks is not None

    def run(self, name: str, fn: Callable[[], None]) -> None:
        if self._locks is None:
            # No lock: a random delay keeps tabs whose timers fire together from reading
            # the same outbox entry at the same moment (the lease then tells them apart).
            delay = int(random.random() * FALLBACK_JITTER_MS)
            js.setTimeout(create_once_callable(fn), delay)
            return

        def held(_lock: Any) -> Any:
            fn()  # synchronous; the lock is released when the returned promise settles
            return js.Promise.new(create_once_callable(_settle_later))

        try:
            promise = self._locks.request(name, create_once_callable(held))
            promise.catch(create_once_callable(lambda err: self._on_error(f"lock failed: {err}")))
        except Exception:
            fn()


def _settle_later(resolve: Any, _reject: Any) -> None:
    js.setTimeout(resolve, LOCK_SETTLE_MS)


class ConsoleLog:
    """The console. Debug filtering is the tracker's (``Tracker.debug``)."""

    def debug(self, message: str) -> None:
        js.console.debug(f"{LOG_PREFIX} {message}")

    def warn(self, message: str) -> None:
        js.console.warn(f"{LOG_PREFIX} {message}")

    def error(self, message: str) -> None:
        js.console.error(f"{LOG_PREFIX} {message}")


class FetchTransport:
    """``fetch`` POST with ``keepalive``: dispatched synchronously, survives unload.

    (``navigator.sendBeacon`` with a JSON Blob to another origin is never sent by
    Chromium — the preflight goes out, the POST does not — so it is not used.)
    """

    def __init__(self, fetch: Any, scheduler: Scheduler) -> None:
        """``fetch``: the loader's capture of ``window.fetch`` (web/src/builtins.js), or
        None for the page's ``fetch`` as it is now. ``scheduler``: where the wait for the
        answer is set up, after the caller's task."""
        self._fetch = js.fetch if fetch is None else fetch
        self._scheduler = scheduler
        self._navigator = js.navigator
        # Marks each request's promise handled at once, so a failure that comes before
        # the wait is set up is never an "unhandled rejection" in the host page.
        self._handled = create_proxy(lambda _error: None)
        # One init for every request, its body and signal set per call: ``fetch`` reads
        # its init before it returns, and building a fresh one from Python cost about as
        # much as the ``fetch`` call itself on the click path (bench, 2026-12-07). Its
        # fields are the core's (base/beacon.py), which the loader's own click uses too.
        self._init_object = js_object(
            **REQUEST_INIT, headers=js_object(**REQUEST_HEADERS), body="", signal=None
        )

    def _init(self, body: str, timeout_ms: int) -> Any:
        init = self._init_object
        init.body = body
        init.signal = js.AbortSignal.timeout(timeout_ms)
        return init

    def online(self) -> bool:
        try:
            return bool(self._navigator.onLine)
        except Exception:
            return True

    def send(
        self, url: str, body: str, on_result: Callable[[SendResult], None], timeout: float
    ) -> None:
        try:
            # On its way before this returns.
            promise = self._fetch(url, self._init(body, int(timeout * 1000)))
        except Exception as exc:
            on_result(SendResult(None, error=str(exc)))
            return
        # An asyncio task costs about a quarter of a millisecond (it arms a timer): off
        # the click's synchronous path, like the rest of the bookkeeping.
        promise.catch(self._handled)
        self._scheduler.soon(lambda: _await(promise, on_result))


def _await(promise: Any, on_result: Callable[[SendResult], None]) -> None:
    task = asyncio.ensure_future(_settle(promise, on_result))
    _pending.add(task)  # keep a reference until it settles (asyncio holds only weak ones)
    task.add_done_callback(_pending.discard)


_pending: set[asyncio.Future[None]] = set()


async def _settle(promise: Any, on_result: Callable[[SendResult], None]) -> None:
    try:
        response = await promise
    except Exception as exc:  # network error, CORS failure, timeout (AbortSignal)
        timed_out = "TimeoutError" in str(exc) or "timed out" in str(exc)
        on_result(SendResult(None, error=str(exc), timed_out=timed_out))
        return
    if str(response.type) == "opaqueredirect":
        on_result(SendResult(0, redirected=True))
        return
    status = int(response.status)
    retry_after = response.headers.get("retry-after")
    try:
        text = await _read_bounded(response, MAX_RESPONSE_CHARS)
    except Exception:  # the body failed or timed out: the status still counts
        text = ""
    on_result(
        SendResult(status, text, retry_after=None if is_null(retry_after) else str(retry_after))
    )


async def _read_bounded(response: Any, limit: int) -> str:
    """The body's first ``limit`` bytes as text; the rest of the stream is never read.

    (``response.text()`` would buffer the whole body first, however large.)
    """
    body = response.body
    if is_null(body):  # e.g. a 204
        return ""
    reader = body.getReader()
    chunks: list[bytes] = []
    size = 0
    try:
        while size < limit:
            chunk = await reader.read()
            if chunk.done:
                break
            data = chunk.value.subarray(0, limit - size).to_bytes()
            chunks.append(data)
            size += len(data)
    finally:
        if size >= limit:
            await reader.cancel()  # stop the download; what is left is never buffered
    return b"".join(chunks).decode("utf-8", errors="replace")
