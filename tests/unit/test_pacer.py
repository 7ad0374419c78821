"""The pacer on a fake clock: exact sliding windows, holds, and sends that take time.

Teeth — naive pacers these tests catch:
- a fixed-window counter reset at each whole minute lets 40 messages into one group within a
  few seconds around the boundary (test_a_group_gets_at_most_20_in_any_60_seconds);
- counting a send when it starts rather than when it is answered lets two messages reach one
  chat less than a second apart when the first was slow on the wire
  (test_a_slow_send_counts_from_when_it_was_answered);
- a global limit that ignores sends in flight (test_sends_in_flight_take_global_slots);
- forgetting a 429's hold once the limits alone would allow the chat (test_a_429_holds_the_chat).
"""

from __future__ import annotations

import math
import random

import pytest

from notifications.pacer import Limits, Pacer, is_group


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


GROUP, OTHER_GROUP, ANN, BO = -100, -200, 11, 12


def pacer(**limits: int) -> tuple[Pacer, FakeTime]:
    time = FakeTime()
    return Pacer(Limits(**limits), time.now, time.sleep), time


def send(p: Pacer, chat: int) -> None:
    p.begin(chat)
    p.end(chat)


def test_groups_are_the_chats_with_negative_ids() -> None:
    assert is_group(-1001234) and is_group(-5) and not is_group(42)


def test_one_message_per_second_to_a_chat_while_other_chats_are_free() -> None:
    p, time = pacer()

    send(p, ANN)

    assert p.ready_at(ANN) == time.t + 1
    assert p.wait_for(BO) == 0
    time.t += 0.999
    assert p.wait_for(ANN) == pytest.approx(0.001)
    time.t += 0.001
    assert p.wait_for(ANN) == 0


def test_a_group_gets_at_most_20_in_any_60_seconds() -> None:
    p, time = pacer()
    starts = []

    for _ in range(100):
        time.t += p.wait_for(GROUP)
        starts.append(time.t)
        send(p, GROUP)

    assert all(b - a >= 1 for a, b in zip(starts, starts[1:], strict=False))
    assert all(starts[k] - starts[k - 20] >= 60 for k in range(20, 100))
    # The window slides: the 21st waits for the 1st to be 60 s old, not for a new minute.
    assert starts[20] == starts[0] + 60 and starts[21] == starts[1] + 60


def test_a_group_at_its_limit_does_not_hold_back_people_or_other_groups() -> None:
    p, time = pacer()
    for _ in range(20):
        time.t += p.wait_for(GROUP)
        send(p, GROUP)

    assert p.wait_for(GROUP) > 40
    assert p.wait_for(ANN) == 0 and p.wait_for(OTHER_GROUP) == 0


def test_at_most_30_messages_a_second_overall() -> None:
    p, time = pacer()
    chats = list(range(1, 101))
    starts = []

    for chat in chats:
        time.t += p.wait_for(chat)
        starts.append(time.t)
        send(p, chat)

    assert starts[29] == starts[0] and starts[30] == starts[0] + 1
    assert all(starts[k] - starts[k - 30] >= 1 for k in range(30, 100))


def test_a_slow_send_counts_from_when_it_was_answered() -> None:
    p, time = pacer()

    p.begin(ANN)
    assert p.ready_at(ANN) == math.inf  # one chat, one message at a time
    time.t += 0.7  # Telegram may have admitted it at any moment until its answer
    p.end(ANN)

    assert p.ready_at(ANN) == time.t + 1


def test_sends_in_flight_take_global_slots() -> None:
    p, _ = pacer(global_per_second=2)

    p.begin(ANN)
    p.begin(BO)

    assert p.ready_at(13) == math.inf
    p.end(ANN)
    assert p.wait_for(13) == pytest.approx(1)


def test_a_429_holds_the_chat() -> None:
    p, time = pacer()
    send(p, ANN)

    p.hold(ANN, 7)

    assert p.ready_at(ANN) == time.t + 7
    p.hold(ANN, 2)  # a shorter hold never shortens a longer one
    assert p.ready_at(ANN) == time.t + 7
    assert p.wait_for(BO) == 0


def test_beginning_early_is_refused() -> None:
    p, _ = pacer()
    send(p, ANN)

    with pytest.raises(RuntimeError):
        p.begin(ANN)
    with pytest.raises(ValueError):
        pacer(per_group_per_minute=0)


async def test_acquire_sleeps_exactly_until_the_chat_is_ready() -> None:
    p, time = pacer(per_chat_per_second=2)
    start = time.t

    for _ in range(5):
        await p.acquire(ANN)
        p.end(ANN)

    assert time.t == start + 2  # two a second: 0, 0, 1, 1, 2


def test_random_traffic_with_latency_never_breaks_a_limit() -> None:
    """Whenever Telegram admits each message between its start and its answer, no window of any
    limit holds too many: checked with every message admitted at its worst moment."""
    rng = random.Random(7)
    p, time = pacer()
    chats = [-1, -2, -3, *range(1, 40)]
    sends: list[tuple[int, float, float]] = []

    for _ in range(600):
        chat = min(chats, key=lambda c: (p.ready_at(c), rng.random()))
        time.t += p.wait_for(chat)
        start = time.t
        p.begin(chat)
        time.t += rng.choice([0.0, 0.001, 0.05, 0.4])
        p.end(chat)
        sends.append((chat, start, time.t))

    def admitted_between(chat: int | None, lo: float, hi: float) -> int:
        """How many sends could have been admitted inside [lo, hi)."""
        return sum(1 for c, s, e in sends if (chat is None or c == chat) and s < hi and e >= lo)

    for chat, start, _ in sends:
        assert admitted_between(chat, start - 1 + 1e-9, start + 1e-9) <= 1
        assert admitted_between(None, start - 1 + 1e-9, start + 1e-9) <= 30
        if chat < 0:
            assert admitted_between(chat, start - 60 + 1e-9, start + 1e-9) <= 20
    assert {c for c, _, _ in sends} == set(chats)


def test_idle_chats_are_forgotten() -> None:
    p, time = pacer(global_per_second=2000)
    for chat in range(1, 1200):
        send(p, chat)
    time.t += 61

    send(p, 5000)

    assert len(p._chat) < 10
