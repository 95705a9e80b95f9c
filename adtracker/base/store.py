"""Typed, fault-proof access to storage.

Every read is validated with a pydantic model; a corrupt or wrongly typed value is
discarded (and removed) instead of breaking tracking. If the underlying storage
throws (blocked, sandboxed, quota exceeded), the store falls back to memory so
events are still sent, and says so once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from adtracker.base.limits import MAX_STORED_VALUE_CHARS
from adtracker.base.ports import Log, Storage

M = TypeVar("M", bound=BaseModel)


def _is_quota_error(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return "quota" in text


class MemoryStorage:
    """A dict behind the Storage protocol: the fallback, and the unit tests' fake."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def set(self, key: str, value: str) -> None:
        self.data[key] = value

    def remove(self, key: str) -> None:
        self.data.pop(key, None)

    def keys(self) -> list[str]:
        return list(self.data)


class Store:
    def __init__(
        self, storage: Storage, log: Log, make_room: Callable[[Store], None] | None = None
    ) -> None:
        self._storage: Storage = storage
        self._log = log
        self.in_memory = False  # True once a storage fault forced the memory fallback
        # Called when a write hits the quota, to free some of our own space; then the
        # write is tried once more.
        self._make_room = make_room

    def _fall_back(self, exc: BaseException) -> None:
        if not self.in_memory:
            self._log.warn(
                f"storage is unusable ({type(exc).__name__}: {exc}); keeping state in memory for "
                "this page — events are still sent, dedup does not survive a reload"
            )
            self._storage = MemoryStorage()
            self.in_memory = True

    def raw_get(self, key: str) -> str | None:
        try:
            return self._storage.get(key)
        except Exception as exc:  # storage faults must never stop tracking
            self._fall_back(exc)
            return self._storage.get(key)

    def raw_set(self, key: str, value: str) -> None:
        try:
            self._storage.set(key, value)
            return
        except Exception as exc:
            if not _is_quota_error(exc) or self._make_room is None:
                self._fall_back(exc)
                self._storage.set(key, value)
                return
            first = exc
        self._log.debug("storage quota exceeded: pruning the tracker's own keys and retrying once")
        try:
            self._make_room(self)
            self._storage.set(key, value)
        except Exception:
            self._fall_back(first)
            self._storage.set(key, value)

    def remove(self, key: str) -> None:
        try:
            self._storage.remove(key)
        except Exception as exc:
            self._fall_back(exc)
            self._storage.remove(key)

    def keys(self, prefix: str) -> list[str]:
        try:
            return [k for k in self._storage.keys() if k.startswith(prefix)]
        except Exception as exc:
            self._fall_back(exc)
            return [k for k in self._storage.keys() if k.startswith(prefix)]

    def read(self, key: str, model: type[M]) -> M | None:
        """The value under ``key`` as ``model``, or None. Bad values are removed."""
        raw = self.raw_get(key)
        if raw is None:
            return None
        if len(raw) > MAX_STORED_VALUE_CHARS:
            self._discard(key, f"{len(raw)} characters, over the {MAX_STORED_VALUE_CHARS} limit")
            return None
        try:
            return model.model_validate_json(raw)
        except ValidationError as exc:
            self._discard(key, exc.errors(include_url=False)[0]["msg"])
            return None

    def write(self, key: str, value: BaseModel) -> None:
        self.raw_set(key, value.model_dump_json())

    def _discard(self, key: str, why: str) -> None:
        self._log.debug(f"discarded a corrupt value under {key}: {why}")
        self.remove(key)
