"""Modules left out of the snapshot path's trimmed archives, imported on demand.

On the snapshot path the tracker runs on trimmed archives: the standard library and
pydantic hold only what its start and event paths import (traced at build time,
buildtools/trim.py), a fraction of the whole. Anything else must still import, for a host
page's Python (PyScript) or a path the trace did not take. This finder sits last on
``sys.meta_path``: for a module that a trimmed archive left out (the build lists them, per
full archive, in ``_adtracker_omitted`` inside the trimmed standard library), it fetches
that full archive once (an injected port: a synchronous request in the browser), mounts it
behind the trimmed one and lets the normal path finder import from it. Everything else,
such as a third-party module that is simply not installed, is not its business: it answers
None at once.

Pure Python (importlib only): the browser edge gives it the fetch and the log
(adtracker/browser/fallback_fetch.py).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType

from adtracker.base.ports import Log

#: The module the build writes into the trimmed standard library: ``OMITTED``, for each
#: full archive (a file name in the runtime folder), the dotted names it alone holds.
INDEX_MODULE = "_adtracker_omitted"
#: In the debug line of a miss (the e2e suite fails any test whose page logs it).
MISS_NOTE = "is not in the trimmed archives"


class FullArchiveFinder(importlib.abc.MetaPathFinder):
    """Imports the omitted modules from their full archive, fetched on the first miss."""

    def __init__(
        self,
        omitted: Mapping[str, frozenset[str]],
        fetch: Callable[[str], bytes],
        mount_dir: Path,
        log: Log,
    ) -> None:
        self._archive_of = {name: archive for archive, names in omitted.items() for name in names}
        self._fetch = fetch
        self._mount_dir = mount_dir
        self._log = log
        self._mounted: dict[str, Path | None] = {}  # archive → where, or None: it failed
        self._mounting = False  # imports made while fetching are not ours to serve

    def find_spec(
        self,
        fullname: str,
        path: object = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        archive = self._archive_of.get(fullname)
        if archive is None or self._mounting:
            return None
        if archive not in self._mounted:
            self._mounted[archive] = self._mount(archive, fullname)
        where = self._mounted[archive]
        if where is None:
            return None
        parent = fullname.rpartition(".")[0]
        search = self._extend(sys.modules.get(parent), where) if parent else None
        return importlib.machinery.PathFinder.find_spec(fullname, search)

    def _mount(self, archive: str, fullname: str) -> Path | None:
        self._log.debug(f"imports: {fullname} {MISS_NOTE}; fetching {archive} (once)")
        where = self._mount_dir / archive
        self._mounting = True
        try:
            data = self._fetch(archive)
            where.parent.mkdir(parents=True, exist_ok=True)
            where.write_bytes(data)
        except Exception as exc:  # a failed fetch: the import fails as it would have
            self._log.warn(f"imports: could not fetch {archive} ({exc})")
            return None
        finally:
            self._mounting = False
        sys.path.append(str(where))  # after the trimmed archives: they still win
        importlib.invalidate_caches()
        return where

    @staticmethod
    def _extend(package: ModuleType | None, where: Path) -> list[str] | None:
        """The package's search path, with its folder in the full archive added."""
        if package is None or not hasattr(package, "__path__"):
            return None
        inside = f"{where}/{package.__name__.replace('.', '/')}"
        if inside not in package.__path__:
            package.__path__.append(inside)
        return list(package.__path__)


def install(fetch: Callable[[str], bytes], mount_dir: Path, log: Log) -> bool:
    """Put the finder last on ``sys.meta_path`` when Python runs on the trimmed archives
    (the index module is there); once. Returns whether it is installed."""
    if any(isinstance(f, FullArchiveFinder) for f in sys.meta_path):
        return True
    try:
        index = importlib.import_module(INDEX_MODULE)
    except ImportError:
        return False  # the full standard library: nothing is missing
    omitted = {archive: frozenset(names) for archive, names in index.OMITTED.items()}
    sys.meta_path.append(FullArchiveFinder(omitted, fetch, mount_dir, log))
    return True
