import itertools

from adtracker.config import TrackerConfig
from adtracker.ids.identity import IdentityRecord, needs_touch, resolve, session_expired

T = 1_800_000_000.0
DAY = 86400.0


def ids():
    counter = itertools.count(1)
    return lambda: f"id-{next(counter)}"


def test_first_visit_generates_both() -> None:
    ident, record = resolve(None, TrackerConfig(), T, ids())
    assert (ident.user_id, ident.session_id) == ("id-1", "id-2")
    assert record == IdentityRecord(anon_user_id="id-1", session_id="id-2", session_seen=T)


def test_host_ids_win_but_generated_ones_are_still_kept() -> None:
    config = TrackerConfig(user_id="customer-42", session_id="sess-9")
    ident, record = resolve(None, config, T, ids())
    assert (ident.user_id, ident.session_id) == ("customer-42", "sess-9")
    assert record.anon_user_id == "id-1"


def test_session_survives_inside_the_ttl() -> None:
    record = IdentityRecord(anon_user_id="u", session_id="s", session_seen=T)
    ident, updated = resolve(record, TrackerConfig(), T + 30 * DAY - 1, ids())
    assert (ident.user_id, ident.session_id) == ("u", "s")
    assert updated.session_seen == T + 30 * DAY - 1


def test_session_rolls_over_after_30_days_without_activity() -> None:
    record = IdentityRecord(anon_user_id="u", session_id="s", session_seen=T)
    ident, updated = resolve(record, TrackerConfig(), T + 30 * DAY, ids())
    assert ident.user_id == "u"  # the anonymous user id is not renewed
    assert ident.session_id == "id-1"
    assert updated.session_id == "id-1"


def test_ttl_is_configurable() -> None:
    record = IdentityRecord(anon_user_id="u", session_id="s", session_seen=T)
    config = TrackerConfig(session_ttl_days=1)
    assert resolve(record, config, T + DAY - 1, ids())[0].session_id == "s"
    assert resolve(record, config, T + DAY, ids())[0].session_id == "id-1"


def test_a_record_from_the_future_is_not_trusted() -> None:
    record = IdentityRecord(anon_user_id="u", session_id="s", session_seen=T + 10 * DAY)
    assert session_expired(record, T, 30 * DAY)


def test_touch_interval() -> None:
    record = IdentityRecord(anon_user_id="u", session_id="s", session_seen=T)
    assert not needs_touch(record, T + 59)
    assert needs_touch(record, T + 60)
