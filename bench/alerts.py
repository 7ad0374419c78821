"""Alert delivery: N alerts to G groups through the sender (pacer, queue on SQLite, aiogram) to
the Bot API emulator with Telegram's flood limits on, on a clock that runs `scale` times faster
on both sides. Reports the elapsed time against the least the limits allow and the 429s.

The least the limits allow is the schedule the pacer itself makes when sending takes no time
(found by running it on a fake clock); the real run pays each send's round trip on top.
Goals: at most 1.05x that minimum, and not one 429.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bench.backends import scratch_database
from bot.config import SenderConfig
from bot.delivery import AiogramTransport
from bot.emulator import Emulator, FloodLimits
from notifications.clocks import ScaledClock
from notifications.pacer import Limits, Pacer
from notifications.sender import Sender
from notifications.transport import Transport
from storage.deliveries import NewDelivery, enqueue
from storage.uow import SqlUnitOfWork

GOAL_RATIO = 1.05
# A group's minute in 6 s. Faster, and what is measured is this machine instead of the pacer:
# one sender sends one message at a time, so the groups' combined pace (one a second each,
# `groups` times `scale` a real second) must stay well under what a send costs here (~5-10 ms
# each: HTTP through aiogram, the emulator, one SQLite transaction).
SCALE = 10.0


@dataclass
class AlertsResult:
    alerts: int
    groups: int
    scale: float
    elapsed_s: float  # on the scaled clock: first send to the last answer
    minimum_s: float  # the limits' least
    too_many_requests: int
    early_retries: int
    in_order: bool
    real_s: float

    @property
    def ratio(self) -> float:
        return self.elapsed_s / self.minimum_s if self.minimum_s else 1.0


def minimum_seconds(per_group: list[int], limits: Limits) -> float:
    """When the last message may start if sending took no time: the pacer on a fake clock."""
    now = [0.0]

    async def no_sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer(limits, lambda: now[0], no_sleep)
    left = {-(n + 1): count for n, count in enumerate(per_group) if count}
    last = 0.0
    while left:
        chat = min(left, key=pacer.ready_at)
        now[0] = max(now[0], pacer.ready_at(chat))
        last = now[0]
        pacer.begin(chat)
        pacer.end(chat)
        left[chat] -= 1
        if not left[chat]:
            del left[chat]
    return last


class _Counting:
    """Stops the sender once every alert is answered; remembers the first start."""

    def __init__(self, inner: Transport, clock: ScaledClock, expected: int, stop: asyncio.Event) -> None:
        self.inner, self.clock, self.left, self.stop = inner, clock, expected, stop
        self.first: float | None = None
        self.last = 0.0

    async def send_message(self, chat_id: int, thread_id: int | None, text: str, markup: dict[str, object] | None) -> int:
        if self.first is None:
            self.first = self.clock.monotonic()
        message_id = await self.inner.send_message(chat_id, thread_id, text, markup)
        self.last = self.clock.monotonic()
        self.left -= 1
        if not self.left:
            self.stop.set()
        return message_id

    async def send_photo(
        self, chat_id: int, thread_id: int | None, photo: bytes, caption: str, markup: dict[str, object] | None
    ) -> int:
        raise NotImplementedError


async def run(alerts: int = 300, groups: int = 5, scale: float = SCALE, progress: Callable[[str], None] = print) -> AlertsResult:
    config = SenderConfig(poll_seconds=60)  # nothing new arrives during the run: no need to look
    limits = Limits(config.per_chat_per_second, config.per_group_per_minute, config.global_per_second)
    per_group = [alerts // groups + (n < alerts % groups) for n in range(groups)]
    minimum = minimum_seconds(per_group, limits)
    progress(
        f"alerts: {alerts} to {groups} groups, limits allow {minimum:.0f} s; running {scale:g}x faster (~{minimum / scale:.1f} s)"
    )
    clock = ScaledClock(scale)
    started = time.perf_counter()
    async with scratch_database("sqlite") as db, Emulator(limits=FloodLimits.telegram(), clock=clock.monotonic) as emu:
        bot = Bot(emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
        try:
            member = await emu.client.create_user("Ann")
            chats = [(await emu.client.create_group(f"Group {n}", members=[member["id"]])).id for n in range(groups)]
            texts = {
                chat: [f"alert {k} to group {n}" for k in range(count)]
                for n, (chat, count) in enumerate(zip(chats, per_group, strict=True))
            }
            async with SqlUnitOfWork(db) as uow:
                rows = [
                    NewDelivery(c, t[k], "en", "low_stock") for k in range(max(per_group)) for c, t in texts.items() if k < len(t)
                ]
                await enqueue(uow.conn, rows, clock.now())
                await uow.commit()
            stop = asyncio.Event()
            counting = _Counting(AiogramTransport(bot), clock, alerts, stop)
            await Sender(db, counting, config, clock).run(stop)
            in_order = True
            for chat, sent in texts.items():
                in_order &= [m.text for m in await emu.client.bot_messages(chat)] == sent
            status = await emu.client.status()
            refused = sum(e.code == 429 for e in await emu.client.errors())
        finally:
            await bot.session.close()
    elapsed = counting.last - (counting.first or 0.0)
    return AlertsResult(
        alerts, groups, scale, elapsed, minimum, refused, status["early_retries"], in_order, time.perf_counter() - started
    )


def summary(r: AlertsResult) -> str:
    verdict = "ok" if r.ratio <= GOAL_RATIO and r.too_many_requests == 0 else "MISSED GOAL"
    return (
        f"alerts {r.alerts} to {r.groups} groups {r.elapsed_s:.0f} s vs minimum {r.minimum_s:.0f} s = {r.ratio:.3f}x, "
        f"{r.too_many_requests} x 429, {'in order' if r.in_order else 'OUT OF ORDER'} "
        f"(clock {r.scale:g}x, {r.real_s:.1f} s real; goal <= {GOAL_RATIO}x and no 429: {verdict})"
    )


def problems(r: AlertsResult) -> list[str]:
    """Correctness, not speed: what would make the run fail."""
    found = []
    if not r.in_order:
        found.append("alerts: some group did not get its alerts exactly once and in order")
    if r.early_retries:
        found.append(f"alerts: {r.early_retries} sends before a retry_after expired")
    return found


if __name__ == "__main__":
    result = asyncio.run(run())
    print(summary(result))
