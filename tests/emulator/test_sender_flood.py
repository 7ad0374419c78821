"""The sender through aiogram against the Bot API emulator with Telegram's flood limits on.

Time runs faster (notifications.clocks.ScaledClock) on both sides: the emulator's flood gate
counts the same scaled seconds as the pacer, so a minute of a group's window passes in a
fraction of a real second. Every send is also timed here (start and answer) and the limits are
checked on those times, whichever moment in between the emulator admitted it.

Teeth: a sender without the group window gets 429s in test_300_alerts_...; one that retries
before retry_after is counted in the emulator's early_retries; one that drops or repeats a
message after a 429 fails the transcript comparisons.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot

from bot.config import SenderConfig
from bot.delivery import AiogramTransport
from bot.emulator import Emulator, FloodLimits
from notifications.clocks import ScaledClock
from notifications.sender import Sender
from notifications.transport import RetryAfter, Transport
from storage.database import Database
from storage.deliveries import NewDelivery, enqueue
from storage.uow import SqlUnitOfWork
from tests.conftest import make_database
from tests.emulator.conftest import make_bot


@dataclass
class Attempt:
    chat_id: int
    start: float
    end: float
    retry_after: float | None  # set when answered 429


@dataclass
class Timed:
    """Times every send on the shared clock and stops the sender when `expected` went out."""

    inner: Transport
    clock: ScaledClock
    expected: int
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    attempts: list[Attempt] = field(default_factory=list)

    async def send_message(self, chat_id: int, thread_id: int | None, text: str, markup: dict[str, Any] | None) -> int:
        start = self.clock.monotonic()
        try:
            message_id = await self.inner.send_message(chat_id, thread_id, text, markup)
        except RetryAfter as exc:
            self.attempts.append(Attempt(chat_id, start, self.clock.monotonic(), exc.seconds))
            raise
        self.attempts.append(Attempt(chat_id, start, self.clock.monotonic(), None))
        if sum(a.retry_after is None for a in self.attempts) == self.expected:
            self.stop.set()
        return message_id

    async def send_photo(
        self, chat_id: int, thread_id: int | None, photo: bytes, caption: str, markup: dict[str, Any] | None
    ) -> int:
        raise AssertionError("no photos here")

    def sent(self, chat_id: int | None = None) -> list[Attempt]:
        return [a for a in self.attempts if a.retry_after is None and (chat_id is None or a.chat_id == chat_id)]


@pytest.fixture
async def lite(tmp_path: os.PathLike[str]) -> AsyncIterator[Database]:
    database, _ = await make_database("sqlite", tmp_path)
    try:
        yield database
    finally:
        await database.dispose()


@dataclass
class Far:
    """Telegram far away: half the round trip before the emulator sees a call, half after."""

    inner: Transport
    clock: ScaledClock
    round_trip: float

    async def send_message(self, chat_id: int, thread_id: int | None, text: str, markup: dict[str, Any] | None) -> int:
        await self.clock.sleep(self.round_trip / 2)
        try:
            return await self.inner.send_message(chat_id, thread_id, text, markup)
        finally:
            await self.clock.sleep(self.round_trip / 2)

    async def send_photo(
        self, chat_id: int, thread_id: int | None, photo: bytes, caption: str, markup: dict[str, Any] | None
    ) -> int:
        raise AssertionError("no photos here")


async def flood_run(
    db: Database, scale: float, limits: FloodLimits, plan: dict[str, int], groups: int, round_trip: float = 0.0
) -> tuple[Emulator, Timed, dict[int, list[str]], float]:
    """Queue `plan` (name -> messages) to fresh chats (the first `groups` names are groups), run
    the sender until all went out; returns the emulator (still running), the timings, the texts
    queued per chat, and the elapsed scaled seconds. `round_trip`: each call's, in scaled seconds."""
    clock = ScaledClock(scale)
    emu = Emulator(limits=limits, clock=clock.monotonic)
    await emu.start()
    bot: Bot = make_bot(emu)
    try:
        person = await emu.client.create_user("Ann")
        chats: dict[int, list[str]] = {}
        for n, (name, count) in enumerate(plan.items()):
            if n < groups:
                chat_id = (await emu.client.create_group(name, members=[person["id"]])).id
            else:
                chat_id = (await emu.client.create_user(name))["id"]
            chats[chat_id] = [f"{name} #{k}" for k in range(count)]
        async with SqlUnitOfWork(db) as uow:
            # Interleaved, the way a burst of alerts lands in the queue.
            rows = [
                NewDelivery(c, texts[k], "en", "low_stock")
                for k in range(max(plan.values()))
                for c, texts in chats.items()
                if k < len(texts)
            ]
            await enqueue(uow.conn, rows, clock.now())
            await uow.commit()
        transport: Transport = AiogramTransport(bot)
        timed = Timed(Far(transport, clock, round_trip) if round_trip else transport, clock, sum(plan.values()))
        started = clock.monotonic()
        async with asyncio.timeout(30):
            await Sender(db, timed, SenderConfig(poll_seconds=60), clock).run(timed.stop)
        return emu, timed, chats, clock.monotonic() - started
    finally:
        await bot.session.close()


async def assert_delivered_once_in_order(emu: Emulator, chats: dict[int, list[str]]) -> None:
    for chat_id, texts in chats.items():
        assert [m.text for m in await emu.client.bot_messages(chat_id)] == texts


def assert_within_limits(attempts: list[Attempt]) -> None:
    """Per chat 1/s, per group 20/min, overall 30/s and no send before a retry_after, judged so
    that any admission moment within [start, end] of each send would still keep them."""
    done = sorted((a for a in attempts), key=lambda a: a.start)
    for k, a in enumerate(done):
        same_chat = [b for b in done[:k] if b.chat_id == a.chat_id]
        if same_chat:
            previous = same_chat[-1]
            assert a.start >= previous.end + (previous.retry_after or 0), "a chat was written to too soon"
            if previous.retry_after is None:
                assert a.start - previous.end >= 1
        admitted = [b for b in same_chat if b.retry_after is None]
        if a.chat_id < 0 and len(admitted) >= 20:
            assert a.start - admitted[-20].end >= 60, "a group got more than 20 in a minute"
        everyone = [b for b in done[:k] if b.retry_after is None]
        if len(everyone) >= 30:
            assert a.start - everyone[-30].end >= 1, "more than 30 in a second"


async def test_300_alerts_to_one_group_arrive_in_order_without_a_single_429(lite: Database) -> None:
    emu, timed, chats, elapsed = await flood_run(lite, 400, FloodLimits.telegram(), {"Warehouse": 300}, groups=1)
    try:
        await assert_delivered_once_in_order(emu, chats)
        assert await emu.client.errors() == []
    finally:
        await emu.stop()

    assert_within_limits(timed.attempts)
    assert elapsed >= 14 * 60  # 300 = 15 windows of 20: the limit, not luck, set the pace


async def test_a_429_for_every_third_send_still_delivers_everything_exactly_once(lite: Database) -> None:
    limits = FloodLimits(
        per_chat_per_second=1, per_group_per_minute=20, overall_per_second=30, refuse_every=3, refuse_retry_after=3
    )
    plan = {"Shop": 12, "Ann": 10, "Bo": 10, "Cy": 10}

    emu, timed, chats, _ = await flood_run(lite, 40, limits, plan, groups=1)
    try:
        await assert_delivered_once_in_order(emu, chats)
        status = await emu.client.status()
        errors = await emu.client.errors()
    finally:
        await emu.stop()

    assert status["early_retries"] == 0
    assert {e.code for e in errors} == {429}
    assert len(errors) == (len(timed.sent()) + len(errors)) // 3  # the refused ones, no others
    assert_within_limits(timed.attempts)


@pytest.mark.parametrize(("scale", "round_trip"), [(16, 0.0), (8, 0.15)], ids=["near", "150ms"])
async def test_t7_500_alerts_to_40_chats_keep_every_limit(lite: Database, scale: float, round_trip: float) -> None:
    """5 groups of 20 and 35 people with 11 or 12 each, one send in 25 refused. The pacer counts
    a refused send too (Telegram may count it), so a group refused once waits for its window.
    Every limit is checked on the recorded times; which of them sets the pace depends on how
    fast this machine sends (the pacer's unit tests make each one bind). With Telegram's round
    trip several sends are in flight at once (to different chats), and the limits still hold
    whichever moment of each round trip the emulator counted."""
    plan = {f"Group {n}": 20 for n in range(5)} | {f"P{n}": 11 + (n < 15) for n in range(35)}
    assert sum(plan.values()) == 500
    limits = FloodLimits(per_chat_per_second=1, per_group_per_minute=20, overall_per_second=30, refuse_every=25)

    emu, timed, chats, elapsed = await flood_run(lite, scale, limits, plan, groups=5, round_trip=round_trip)
    try:
        await assert_delivered_once_in_order(emu, chats)
        status = await emu.client.status()
        errors = await emu.client.errors()
    finally:
        await emu.stop()

    assert status["early_retries"] == 0
    assert {e.code for e in errors} == {429}
    assert len(errors) == (len(timed.sent()) + len(errors)) // 25  # the refused ones, no others
    assert len(timed.sent()) == 500
    assert_within_limits(timed.attempts)
    assert elapsed >= 500 / 30 - 1
    if round_trip:
        overlaps = [sum(b.start < a.start < b.end for b in timed.attempts) for a in timed.attempts]
        assert max(overlaps) >= 2  # sends to different chats did overlap
