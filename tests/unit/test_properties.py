"""Property-based tests (hypothesis) of the core's three invariants, over random
sequences of clicks, answers, time, reloads, tab switches and storage corruption:

1. never double-counted: a server that dedups like VTEX (one per key per window)
   counts at most as many events as the tracker accepted, and accepted events for
   one (user, session, URL) are at least a window apart;
2. stored state stays within its bounds;
3. nothing outside the allow-list is ever sent.
"""

from __future__ import annotations

import itertools
import json
from urllib.parse import urlsplit

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from adtracker.base import keys
from adtracker.base.limits import MAX_IN_FLIGHT, MAX_MARKS, MAX_OUTBOX_CHARS, MAX_OUTBOX_ENTRIES
from adtracker.base.store import MemoryStorage
from adtracker.events.dedup import WINDOWS
from adtracker.events.marks import PRUNE_EVERY
from tests.unit.fakes import ORIGIN, FakeClock, make_rig

URLS = [
    f"{ORIGIN}/v1/beacon/click/a?pos=1",
    f"{ORIGIN}/v1/beacon/click/b?pos=2",
    f"{ORIGIN}/v1/beacon/click/c",
    "https://evil.example/v1/beacon/click/a",
    "javascript:alert(1)",
    "/v1/beacon/click/a",
    f" {ORIGIN}/v1/beacon/click/a",
    "https://user:pw@events.newtail-media.newtail.com.br/x",
]
# Fates of one request: (HTTP status or None, did it reach the server?)
FATES = [(202, True), (500, True), (503, False), (429, False), (None, True), (None, False)]

ops = st.lists(
    st.one_of(
        st.tuples(st.just("click"), st.sampled_from(URLS)),
        st.tuples(st.just("answer"), st.sampled_from(FATES)),
        st.tuples(st.just("wait"), st.sampled_from([0.3, 5.0, 59.0, 61.0, 600.0, 3599.0, 3601.0])),
        st.tuples(st.just("reload"), st.none()),
        st.tuples(st.just("offline"), st.booleans()),
        st.tuples(st.just("corrupt"), st.sampled_from(["{", "[]", '{"e": "x"}', "null", "x" * 99])),
        st.tuples(st.just("many"), st.integers(min_value=1, max_value=60)),
    ),
    max_size=60,
)


def _lease(value: str) -> float:
    try:
        return float(json.loads(value).get("lease_until", 0.0))
    except (ValueError, AttributeError):
        return 0.0  # a corrupt value: the store discards it when it is read


class Server:
    """Counts like VTEX: one per (body, URL) per window, from the last counted one."""

    def __init__(self) -> None:
        self.counted: dict[tuple[str, str], list[float]] = {}

    def receive(self, url: str, body: str, now: float) -> None:
        times = self.counted.setdefault((url, body), [])
        if not times or now - times[-1] >= WINDOWS["click"]:
            times.append(now)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
# Found by hypothesis: a failed send whose entry was dropped meanwhile (corrupt, then over
# the bounds) was put back for a retry, past the bounds.
@example(
    [("many", 54), ("corrupt", "{"), ("many", 48), ("answer", (500, True)), ("answer", (500, True))]
)
def test_invariants(sequence: list[tuple[str, object]]) -> None:
    storage = MemoryStorage()
    clock = FakeClock()
    rig = make_rig(storage=storage, clock=clock, timeouts=True)
    rig.tracker.start()
    rigs = [rig]
    server = Server()
    answered = 0  # index into the current rig's sends
    accepted: dict[tuple[str, str], list[float]] = {}
    all_sent: list[str] = []
    offline = False
    corrupted = False
    n = 0

    def click(url: str) -> None:
        outcome = rig.tracker.track_click(url)
        if outcome in ("sent", "queued"):
            ident = rig.tracker.identity
            assert ident is not None
            body = json.dumps({"user_id": ident.user_id, "session_id": ident.session_id})
            accepted.setdefault((url, body.replace(" ", "")), []).append(clock.now())

    for op, arg in sequence:
        if op == "click":
            click(arg)  # type: ignore[arg-type]
        elif op == "many":
            for _ in range(arg):  # type: ignore[arg-type]
                n += 1
                click(f"{ORIGIN}/v1/beacon/click/many-{n}")
        elif op == "answer":
            status, reached = arg  # type: ignore[misc]
            sent = rig.transport.sent
            if answered < len(sent):
                s = sent[answered]
                if reached:
                    server.receive(s.url, s.body, clock.now())
                rig.transport.answer(answered, status, error="" if status else "Failed to fetch")
                answered += 1
        elif op == "wait":
            rig.scheduler.advance(arg)  # type: ignore[arg-type]
        elif op == "reload":
            all_sent += [s.url for s in rig.transport.sent]
            rig = make_rig(storage=storage, clock=clock, timeouts=True)
            rig.transport.is_online = not offline
            rig.tracker.start()
            rigs.append(rig)
            answered = 0
        elif op == "offline":
            offline = bool(arg)
            rig.transport.is_online = not offline
            if not offline:
                rig.tracker.flush()
        elif op == "corrupt":
            corrupted = True
            for key in [k for k in storage.data if k.startswith(keys.PREFIX)][:3]:
                storage.data[key] = arg  # type: ignore[assignment]
        rig.scheduler.run()

        # 2. bounds, after every step
        ours = {k: v for k, v in storage.data.items() if k.startswith(keys.PREFIX)}
        assert len(ours) == len(storage.data)  # every key is ours and prefixed
        dedup_marks = [k for k in ours if k.startswith(keys.DEDUP_PREFIX)]
        assert len(dedup_marks) <= MAX_MARKS + PRUNE_EVERY
        box = [v for k, v in ours.items() if k.startswith(keys.OUTBOX_PREFIX)]
        leased = [v for v in box if _lease(v) > clock.now()]  # in flight in some page
        waiting = [v for v in box if v not in leased]
        assert len(waiting) <= MAX_OUTBOX_ENTRIES + 1
        assert sum(len(v) for v in waiting) <= MAX_OUTBOX_CHARS + 2048
        assert len(leased) <= MAX_IN_FLIGHT * len(rigs)  # a page that went away left its own

    all_sent += [s.url for s in rig.transport.sent]
    # 3. the allow-list
    for url in all_sent:
        assert urlsplit(url).scheme + "://" + urlsplit(url).netloc == ORIGIN
    # 1. never double-counted
    for key, times in server.counted.items():
        assert len(times) <= len(accepted.get(key, []))
    if corrupted:
        return  # marks clobbered under a tracker that had not read them: the server dedups
    for times in accepted.values():
        assert all(b - a >= WINDOWS["click"] - 1 for a, b in itertools.pairwise(times))
