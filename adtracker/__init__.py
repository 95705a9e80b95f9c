"""VTEX Ads browser event tracker: pure-Python core, run in the browser under Pyodide.

The core (every module here except ``adtracker.browser``) imports neither ``js`` nor
``pyodide``: it runs and is unit-tested on plain CPython with injected ports
(clock, storage, transport, id source, scheduler, log).
"""

from adtracker.base.beacon import DEFAULT_BEACON_ORIGIN
from adtracker.config import TrackerConfig, config_from_attributes
from adtracker.tracker import Tracker

__all__ = ["DEFAULT_BEACON_ORIGIN", "Tracker", "TrackerConfig", "config_from_attributes"]
__version__ = "0.2.0"  # the one place the version is set (see buildtools.common)
