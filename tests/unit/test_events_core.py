"""Impressions, views and conversions through the tracker facade (fakes)."""

import json

from adtracker.base.store import MemoryStorage
from tests.unit.fakes import ORIGIN, make_rig

IMP = ORIGIN + "/v1/beacon/impression/a?pos=1"
VIEW = ORIGIN + "/v1/beacon/view/a?pos=1"
CONV = ORIGIN + "/v1/beacon/conversion"
ITEM = {"sku": "s", "quantity": 1, "price": 5, "promotional_price": 4}
ORDER = {"order_id": "o-1", "email": "a@b.c", "items": [ITEM]}


def started(**kw):
    kw.setdefault("publisher_id", "pub")
    rig = make_rig(**kw)
    rig.tracker.start()
    rig.scheduler.run()
    return rig


def test_impression_window_is_one_minute() -> None:
    rig = started()
    assert rig.tracker.track_impression(IMP) == "sent"
    rig.clock.advance(59)
    assert rig.tracker.track_impression(IMP) == "deduplicated"
    rig.clock.advance(1)
    assert rig.tracker.track_impression(IMP) == "sent"


def test_view_once_per_page_view_and_per_minute() -> None:
    rig = started()
    assert rig.tracker.track_view(VIEW) == "sent"
    rig.clock.advance(120)
    assert rig.tracker.track_view(VIEW) == "deduplicated"  # same page view
    rig.tracker.new_page_view()
    assert rig.tracker.track_view(VIEW) == "sent"
    rig.tracker.new_page_view()
    rig.clock.advance(30)
    assert rig.tracker.track_view(VIEW) == "deduplicated"  # new page view, same minute


def test_conversion_is_sent_to_the_conversion_url_and_deduplicated_by_order() -> None:
    storage = MemoryStorage()
    rig = started(storage=storage, conversion_url=CONV)
    assert rig.tracker.track_conversion(ORDER) == "sent"
    (sent,) = rig.transport.sent
    body = json.loads(sent.body)
    assert sent.url == CONV
    assert body["order_id"] == "o-1" and body["user_id"] == rig.tracker.identity.user_id
    assert "email" not in body and "a@b.c" not in sent.body
    rig.transport.answer(0, 202)
    rig.scheduler.run()
    # a reload of the confirmation page, days later
    rig.clock.advance(10 * 86400)
    again = started(storage=storage, clock=rig.clock, conversion_url=CONV)
    assert again.tracker.track_conversion(ORDER) == "deduplicated"
    assert again.transport.sent == []
    assert not any("a@b.c" in v for v in storage.data.values())  # raw PII never stored


def test_invalid_order_logs_the_field_and_sends_nothing() -> None:
    rig = started(conversion_url=CONV)
    assert rig.tracker.track_conversion({"email": "secret@x.y", "items": [ITEM]}) == "refused"
    assert rig.tracker.track_conversion("o-1") == "refused"
    assert rig.transport.sent == []
    errors = rig.log.of("error")
    assert len(errors) == 2 and "order_id" in errors[0]
    assert not any("secret" in e for e in errors)


def test_conversion_url_must_be_allowed() -> None:
    rig = started()  # the default conversion URL is VTEX's, which is allowed
    assert rig.tracker.track_conversion(ORDER) == "sent"
    other = started(conversion_url="https://evil.example/v1/beacon/conversion")
    assert other.tracker.track_conversion(ORDER) == "refused"


def test_conversion_waits_for_consent_hashed() -> None:
    rig = started(consent="pending", conversion_url=CONV)
    assert rig.tracker.track_conversion(ORDER) == "queued"
    assert rig.transport.sent == [] and rig.storage.data == {}
    rig.tracker.consent("granted")
    assert [s.url for s in rig.transport.sent] == [CONV]


def test_identify_replaces_the_anonymous_id() -> None:
    rig = started()
    anon = rig.tracker.identity.user_id
    assert rig.tracker.identify("customer-42")
    rig.tracker.track_impression(IMP)
    assert json.loads(rig.transport.sent[0].body)["user_id"] == "customer-42" != anon
    assert rig.tracker.identify("") is False
    assert rig.tracker.identify(42) is False
    assert rig.tracker.identity.user_id == "customer-42"


def test_oversized_order_is_refused() -> None:
    rig = started(conversion_url=CONV)
    items = [{**ITEM, "sku": f"sku-{i:05d}-" + "x" * 200} for i in range(200)]
    assert rig.tracker.track_conversion({**ORDER, "items": items}) == "refused"
    assert any("characters of JSON" in e for e in rig.log.of("error"))
