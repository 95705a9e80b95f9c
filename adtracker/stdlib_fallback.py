"""The standard library's modules left out of the trimmed archive, imported on demand.

On the snapshot path the tracker runs on a trimmed standard library: only the files that
its start and event paths open (traced at build time, buildtools/stdlib.py), a quarter of
the whole. Any other standard-library module must still import, for a host page's Python
(PyScript) or a path the trace did not take. This finder sits last on ``sys.meta_path``:
for a module that the trimmed archive left out (the build lists them in
``_adtracker_stdlib_omitted``), it fetches the full archive once (an injected port: a
synchronous request in the browser), mounts it behind the trimmed one and lets the normal
path finder import from it. Everything else, such as a third-party module that is simply
not installed, is not its business: it answers None at once.

Pure Python (importlib only): the browser edge gives it the fetch and the log
(adtracker/browser/stdlib.py).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from types import ModuleType

from adtracker.ports import Log

#: The module the build writes into the trimmed archive: ``OMITTED``, the dotted names of
#: the modules it left out. Absent from the full standard library.
INDEX_MODULE = "_adtracker_stdlib_omitted"
#: In the debug line of a miss (the e2e suite fails any test whose page logs it).
MISS_NOTE = "is not in the trimmed standard library"


class FullStdlibFinder(importlib.abc.MetaPathFinder):
    """Imports the omitted modules from the full archive, fetched on the first miss."""

    def __init__(
        self,
        omitted: Collection[str],
        fetch_full: Callable[[], bytes],
        mount_at: Path,
        log: Log,
    ) -> None:
        self._omitted = frozenset(omitted)
        self._fetch_full = fetch_full
        self._mount_at = mount_at
        self._log = log
        self._mounted = False
        self._mounting = False  # imports made while fetching are not ours to serve
        self._failed = False

    def find_spec(
        self,
        fullname: str,
        path: object = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._omitted or self._failed or self._mounting:
            return None
        if not self._mounted and not self._mount(fullname):
            return None
        parent = fullname.rpartition(".")[0]
        search = self._extend(sys.modules.get(parent)) if parent else None
        return importlib.machinery.PathFinder.find_spec(fullname, search)

    def _mount(self, fullname: str) -> bool:
        self._log.debug(f"stdlib: {fullname} {MISS_NOTE}; fetching the full one (once)")
        self._mounting = True
        try:
            data = self._fetch_full()
            self._mount_at.parent.mkdir(parents=True, exist_ok=True)
            self._mount_at.write_bytes(data)
        except Exception as exc:  # a failed fetch: the import fails as it would have
            self._failed = True
            self._log.warn(f"stdlib: could not fetch the full standard library ({exc})")
            return False
        finally:
            self._mounting = False
        sys.path.append(str(self._mount_at))  # after the trimmed archive: it still wins
        importlib.invalidate_caches()
        self._mounted = True
        return True

    def _extend(self, package: ModuleType | None) -> list[str] | None:
        """The package's search path, with its folder in the full archive added."""
        if package is None or not hasattr(package, "__path__"):
            return None
        inside = str(self._mount_at) + "/" + package.__name__.replace(".", "/")
        search = list(package.__path__)
        if inside not in search:
            package.__path__.append(inside)
            search.append(inside)
        return search


def install(fetch_full: Callable[[], bytes], mount_at: Path, log: Log) -> bool:
    """Put the finder last on ``sys.meta_path`` when the running standard library is the
    trimmed one (it carries the index module); once. Returns whether it is installed."""
    if any(isinstance(f, FullStdlibFinder) for f in sys.meta_path):
        return True
    try:
        index = importlib.import_module(INDEX_MODULE)
    except ImportError:
        return False  # the full standard library: nothing is missing
    sys.meta_path.append(FullStdlibFinder(index.OMITTED, fetch_full, mount_at, log))
    return True
