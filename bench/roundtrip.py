"""Round trip through the Bot API emulator: 50 people send `/stock <sku>` at once, each waiting
for the answer before the next; the p95 from sending to the bot's answer appearing, for our
bot (polling, the real dispatcher, SQLite) against an echo bot on the same emulator, same run.

The emulator runs in a process of its own, as Telegram is far from the bot: the bot's event
loop serves the bot (and the people's light HTTP calls), not the Bot API as well.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import aiohttp
from aiogram import Dispatcher, Router
from aiogram.types import Message

from bot.bootstrap import App, SystemClock, make_env
from bot.config import Settings
from bot.emulator import EmulatorClient
from domain import commands as c
from domain.services.bus import Bus
from storage.setup import open_database
from storage.uow import SqlUnitOfWorkFactory

TOKEN = "777777:" + "R" * 35
ROOT = Path(__file__).resolve().parents[1]
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


async def _side(client: EmulatorClient, command: list[str], env: dict[str, str], users: int, per_user: int) -> list[float]:
    """One bot in a process of its own, as in production; the people's HTTP calls stay here."""
    bot = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL)
    try:
        await client.wait_until(lambda: _polling(client), timeout=30, what="polling")
        timings: list[float] = []
        await asyncio.gather(*(_person(client, FIRST_USER + n, per_user, timings) for n in range(users)))
        return timings
    finally:
        bot.terminate()
        await bot.wait()


async def _polling(client: EmulatorClient) -> bool | None:
    return True if (await client.status()).get("pollers_waiting") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _until_up(client: EmulatorClient, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            await client.status()
            return
        except aiohttp.ClientError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def run(workdir: Path, users: int = 50, per_user: int = 10) -> RoundTrip:
    db_file = workdir / "roundtrip.db"
    app = await company(db_file, users)
    await app.close()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    emulator = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.emulator", "--port", str(port), "--token", TOKEN, stderr=asyncio.subprocess.DEVNULL
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIXIAO_")}
    ours_env = env | {
        "CAIXIAO_TELEGRAM__TOKEN": TOKEN,
        "CAIXIAO_TELEGRAM__API_BASE": base_url,
        "CAIXIAO_DATABASE__URL": f"sqlite+aiosqlite:///{db_file}",
        "CAIXIAO_LOG_LEVEL": "WARNING",
    }
    try:
        async with EmulatorClient(base_url) as client:
            await _until_up(client)
            for n in range(users):
                await client.create_user(f"user {n}", user_id=FIRST_USER + n, language_code="en")
            echo = await _side(client, [sys.executable, "-m", "bench.echo_bot", base_url, TOKEN], env, users, per_user)
            ours = await _side(client, [sys.executable, "-m", "bot.cli", "run"], ours_env, users, per_user)
            errors = await client.errors()
            if errors:
                raise AssertionError(f"the emulator returned errors to the bot: {errors[:3]}")
    finally:
        emulator.terminate()
        await emulator.wait()
    return RoundTrip(users, per_user, _p(ours, 95), _p(echo, 95), _p(ours, 50), _p(echo, 50))
