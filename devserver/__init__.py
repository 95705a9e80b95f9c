"""Local development servers: a VTEX Ads events collector and a static file server."""

from .collector import Collector, Received
from .static import StaticServer

__all__ = ["Collector", "Received", "StaticServer"]
