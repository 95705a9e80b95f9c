"""PyScript storefront: start the ad tracker from Python and show its decisions.

Runs in the browser under PyScript (see index.html and pyscript.json), not on CPython.
"""

import time
from itertools import count

from pyscript import document
from pyscript.ffi import create_proxy

from adtracker.browser import start

collector = document.querySelector('meta[name="collector-origin"]').content
decisions = document.getElementById("decisions")
status = document.getElementById("status")


def show(event: object) -> None:
    """One ``adtracker:event`` (a decision the tracker took) as a line of the log."""
    detail = event.detail
    path = detail.url.removeprefix(collector)
    reason = f" ({detail.reason})" if detail.reason else ""
    item = document.createElement("li")
    item.className = detail.outcome
    item.textContent = f"{detail.type} {detail.outcome} {path}{reason}"
    decisions.prepend(item)


# Listen first, so the log also shows the decisions taken while starting.
document.addEventListener("adtracker:event", create_proxy(show))

tracker = start(
    {
        "beacon_origins": collector,
        "conversion_url": f"{collector}/v1/beacon/conversion",
        "publisher_id": "demo-publisher",
        "debug": True,
    }
)


orders = count(1)


def place_order(_event: object) -> None:
    """A conversion from Python; the e-mail is normalised and hashed before it is sent."""
    item = {"sku": "espresso-1", "quantity": 1, "price": 899.0, "promotional_price": 849.0}
    order_id = f"pyscript-{int(time.time())}-{next(orders)}"
    tracker.track_conversion(
        {"order_id": order_id, "email": "Shopper@Example.com", "items": [item]}
    )


order = document.getElementById("order")
order.addEventListener("click", create_proxy(place_order))
order.disabled = False
ids = tracker.identity  # None while consent is not granted
if ids is not None:
    shown = f"user_id={ids.user_id} session_id={ids.session_id}"
    document.getElementById("identity").textContent = shown
status.textContent = "tracker live (Python)"
status.className = "status live"
document.body.dataset.tracker = "live"  # the e2e test waits for this
