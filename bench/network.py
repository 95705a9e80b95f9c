"""A first visit over a shopper's network: time to ready in plain headless Chromium, with
the dist served as over 10 Mbps / 40 ms (a good mobile or a slow home line) and
1.6 Mbps / 150 ms (Lighthouse's "slow 4G"), against a bare ``loadPyodide()`` from the same
dist over the same network.

The server paces it (``bench.pages.Pacer``): each request waits one round trip, and every
connection's bytes share one downlink, the page's and the Worker's alike. DevTools'
emulation would throttle the page but not, without more plumbing, its Worker; pacing at
the server needs neither, and the figures count the same bytes the ``boot`` part counts.
It leaves out TCP slow start and TLS, which make a real network slower still.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.pages import Site
from bench.serving import Network
from bench.stats import median
from bench.views import profile_views

NETWORKS = (Network("10mbps", 10.0, 40.0), Network("1.6mbps", 1.6, 150.0))


def network_figures(
    dist: Path, runs: int, networks: tuple[Network, ...] = NETWORKS
) -> dict[str, Any]:
    """Median cold and warm ready of the tracker and of a bare loadPyodide() per network,
    a fresh profile per run."""
    figures: dict[str, Any] = {}
    samples: dict[str, list[dict[str, Any]]] = {}
    for network in networks:
        site = Site(dist, network=network)
        try:
            for run in range(runs):
                for name in ("tracker", "bare"):
                    cold, warm = profile_views(site, f"/views/{name}.html")
                    print(
                        f"[bench]   network {network.name} {run + 1}/{runs} {name}: ready "
                        f"{cold['ready_ms']:.0f} ms cold, {warm['ready_ms']:.0f} ms warm, "
                        f"{cold['bytes'] / 1e6:.2f} MB",
                        flush=True,
                    )
                    samples.setdefault(f"{network.name}_{name}_cold", []).append(cold)
                    samples.setdefault(f"{network.name}_{name}_warm", []).append(warm)
        finally:
            site.close()
        for phase in ("cold", "warm"):
            ready = median([v["ready_ms"] for v in samples[f"{network.name}_tracker_{phase}"]])
            bare = median([v["ready_ms"] for v in samples[f"{network.name}_bare_{phase}"]])
            figures |= {
                f"network_{network.name}_ready_{phase}_ms": ready,
                f"network_{network.name}_bare_{phase}_ms": bare,
                f"network_{network.name}_ready_over_bare_{phase}": ready / bare,
            }
        figures[f"network_{network.name}_bytes_cold"] = median(
            [v["bytes"] for v in samples[f"{network.name}_tracker_cold"]]
        )
    figures["networks"] = [[n.name, n.mbps, n.rtt_ms] for n in networks]
    figures["samples_network"] = samples
    return figures
