import pytest

from adtracker.base.keys import PREFIX
from adtracker.base.limits import MAX_MARKS
from adtracker.events.dedup import WINDOWS, dedup_key, expiry_for, is_duplicate, to_prune

T = 1_800_000_000.0


@pytest.mark.parametrize(
    ("event_type", "elapsed", "duplicate"),
    [
        ("click", 0, True),
        ("click", 59 * 60 + 59, True),  # 59:59 after the first click: still the same hour
        ("click", 60 * 60, False),  # 60:00: a new window
        ("click", 2 * 3600, False),
        ("impression", 59.5, True),
        ("impression", 60, False),
        ("view", 59, True),
        ("view", 60, False),
    ],
)
def test_window_edges(event_type: str, elapsed: float, duplicate: bool) -> None:
    expiry = expiry_for(event_type, T)
    assert is_duplicate(expiry, T + elapsed) is duplicate


def test_windows_match_vtex() -> None:
    assert WINDOWS == {
        "click": 3600.0,
        "impression": 60.0,
        "view": 60.0,
        "conversion": 30 * 86400.0,
    }


def test_no_mark_is_never_a_duplicate() -> None:
    assert is_duplicate(None, T) is False


def test_key_depends_on_every_part() -> None:
    base = dedup_key("click", "u", "s", "https://a/x")
    assert base.startswith(PREFIX)
    others = {
        dedup_key("impression", "u", "s", "https://a/x"),
        dedup_key("click", "u2", "s", "https://a/x"),
        dedup_key("click", "u", "s2", "https://a/x"),
        dedup_key("click", "u", "s", "https://a/x?"),
    }
    assert base not in others and len(others) == 4
    assert len(dedup_key("click", "u", "s", "https://a/" + "x" * 10_000)) == len(base)


def test_prune_removes_expired_and_caps() -> None:
    marks = {f"k{i}": T + i for i in range(-5, MAX_MARKS + 10)}
    doomed = to_prune(marks, T, MAX_MARKS)
    kept = set(marks) - set(doomed)
    assert len(kept) == MAX_MARKS
    assert all(marks[k] > T for k in kept)
    # the soonest-expiring live marks go first
    assert min(marks[k] for k in kept) == T + 10
    assert "k0" in doomed and "k-5" in doomed


def test_prune_keeps_everything_under_the_cap() -> None:
    assert to_prune({"a": T + 1, "b": T + 2}, T, 10) == []
