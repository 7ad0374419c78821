"""Round trip through the Bot API emulator: 50 people send `/stock <sku>` at once, each waiting
for the answer before the next; the p95 from sending to the bot's answer appearing, for our
bot (polling, the real dispatcher, SQLite) against an echo bot on the same emulator, same run.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

from bot.bootstrap import App, SystemClock, make_env
from bot.config import Settings
from bot.dispatcher import build_dispatcher
from bot.emulator import Emulator, EmulatorClient
from domain import commands as c
from domain.services.bus import Bus
from storage.setup import open_database
from storage.uow import SqlUnitOfWorkFactory

TOKEN = "777777:" + "R" * 35
ADMIN = 1
FIRST_USER = 10_000


@dataclass
class RoundTrip:
    users: int
    per_user: int
    ours_p95_ms: float
    echo_p95_ms: float
    ours_p50_ms: float
    echo_p50_ms: float

    @property
    def ratio(self) -> float:
        return self.ours_p95_ms / self.echo_p95_ms


def echo_dispatcher() -> Dispatcher:
    r = Router()

    @r.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    dp = Dispatcher()
    dp.include_router(r)
    return dp


async def company(path: Path, users: int) -> App:
    settings = Settings()
    db = await open_database(f"sqlite+aiosqlite:///{path}", admins=[(ADMIN, "admin")])
    bus = Bus(SqlUnitOfWorkFactory(db), make_env(settings, SystemClock()))
    for n in range(users):
        await bus.handle(c.RegisterUser(actor_id=ADMIN, user_id=FIRST_USER + n, name=f"user {n}", roles=("warehouse",)))
    for n in range(20):
        await bus.handle(c.CreateItem(actor_id=ADMIN, sku=f"RT-{n}", name=f"Round trip {n}", reorder_point=Decimal(5)))
        await bus.handle(c.AdjustStock(actor_id=ADMIN, sku=f"RT-{n}", delta=Decimal(100 + n), reason="opening"))
    return App(settings, db, bus)


async def _person(client: EmulatorClient, user_id: int, per_user: int, out: list[float]) -> None:
    for n in range(per_user):
        seen = len(await client.transcript(user_id))
        started = time.perf_counter()
        await client.send_text(user_id, f"/stock RT-{(user_id + n) % 20}")
        await client.wait_for_message(user_id, newer_than=seen, timeout=30)
        out.append((time.perf_counter() - started) * 1000)


async def _side(emu: Emulator, dp: Dispatcher, users: int, per_user: int) -> list[float]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=True, polling_timeout=10))
    client = emu.client
    try:
        await client.wait_until(lambda: _polling(client), timeout=10, what="polling")
        timings: list[float] = []
        await asyncio.gather(*(_person(client, FIRST_USER + n, per_user, timings) for n in range(users)))
        return timings
    finally:
        await dp.stop_polling()
        await polling


async def _polling(client: EmulatorClient) -> bool | None:
    return True if (await client.status()).get("pollers_waiting") else None


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def run(workdir: Path, users: int = 50, per_user: int = 10) -> RoundTrip:
    app = await company(workdir / "roundtrip.db", users)
    try:
        async with Emulator(token=TOKEN) as emu:
            for n in range(users):
                await emu.client.create_user(f"user {n}", user_id=FIRST_USER + n, language_code="en")
            echo = await _side(emu, echo_dispatcher(), users, per_user)
            bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
            ours = await _side(emu, build_dispatcher(app, bot), users, per_user)
            await bot.session.close()
            errors = await emu.client.errors()
            if errors:
                raise AssertionError(f"the emulator returned errors to the bot: {errors[:3]}")
    finally:
        await app.close()
    return RoundTrip(users, per_user, _p(ours, 95), _p(echo, 95), _p(ours, 50), _p(echo, 50))
