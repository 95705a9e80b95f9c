import pytest

from adtracker.events.visibility import VIEW_SECONDS, ViewTimer, update

T = 1000.0


def run(steps: list[tuple[float, dict]], end: float) -> bool:
    """Apply (time, change) steps to a fresh timer; did a view happen by ``end``?"""
    timer = ViewTimer()
    for at, change in steps:
        if timer.reached(T + at):
            return True
        timer = update(timer, T + at, **change)
    return timer.reached(T + end)


@pytest.mark.parametrize(
    ("steps", "end", "viewed"),
    [
        # in view from 0 s: the full second is needed
        ([(0, {"ratio": 0.6})], 0.999, False),
        ([(0, {"ratio": 0.6})], 1.0, True),
        # exactly half of the ad counts; just under does not
        ([(0, {"ratio": 0.5})], 1.0, True),
        ([(0, {"ratio": 0.49})], 5.0, False),
        # scrolled away at 0.5 s: no view, and the clock restarts
        ([(0, {"ratio": 1.0}), (0.5, {"ratio": 0.0})], 5.0, False),
        ([(0, {"ratio": 1.0}), (0.5, {"ratio": 0.2}), (0.6, {"ratio": 0.9})], 1.5, False),
        ([(0, {"ratio": 1.0}), (0.5, {"ratio": 0.2}), (0.6, {"ratio": 0.9})], 1.6, True),
        # a hidden tab pauses the clock, which resumes where it stopped
        ([(0, {"ratio": 1.0}), (0.6, {"page_visible": False})], 10.0, False),
        (
            [(0, {"ratio": 1.0}), (0.6, {"page_visible": False}), (5.0, {"page_visible": True})],
            5.39,
            False,
        ),
        (
            [(0, {"ratio": 1.0}), (0.6, {"page_visible": False}), (5.0, {"page_visible": True})],
            5.4,
            True,
        ),
        # a background tab from the start: no view however long
        ([(0, {"page_visible": False}), (0.1, {"ratio": 1.0})], 60.0, False),
        # dropping below 50 % while hidden still restarts the clock
        (
            [
                (0, {"ratio": 1.0}),
                (0.9, {"page_visible": False}),
                (1.5, {"ratio": 0.1}),
                (2.0, {"ratio": 1.0}),
                (2.5, {"page_visible": True}),
            ],
            3.4,
            False,
        ),
    ],
)
def test_view_rule(steps: list[tuple[float, dict]], end: float, viewed: bool) -> None:
    assert run(steps, end) is viewed


def test_remaining_counts_down_only_while_running() -> None:
    timer = update(ViewTimer(), T, ratio=1.0)
    assert timer.remaining(T + 0.25) == pytest.approx(VIEW_SECONDS - 0.25)
    paused = update(timer, T + 0.25, page_visible=False)
    assert paused.remaining(T + 9) is None
    assert paused.elapsed(T + 9) == pytest.approx(0.25)
