"""Chat throughput: `/stock <sku>` updates per second through the real dispatcher (middlewares,
dialogue-state lookup, the stock card's queries, the template) against a floor that feeds the
same updates to a bare aiogram Dispatcher whose only handler runs one plain SELECT and answers.

Both sides use the same database, the same kind of update and a Bot whose session answers
instantly, so what is measured is our code path, not the network. Blocks alternate.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.base import BaseSession
from aiogram.filters import Command, CommandObject
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, Update, User

from bot.bootstrap import App, SystemClock, make_env
from bot.config import Settings
from bot.dispatcher import build_dispatcher
from domain.services.bus import Bus
from storage.database import Database
from storage.tables import items, stock_balances
from storage.uow import SqlUnitOfWorkFactory

TOKEN = "123456:" + "B" * 35
STOCK_GOAL = 1.0  # /stock through everything at least as fast as feed_update + one SELECT
ROUNDTRIP_GOAL = 3.0  # p95 at most 3x an echo bot on the same emulator


class InstantSession(BaseSession):
    """Answers every Bot API call at once, like a Telegram with zero latency."""

    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(1)

    async def close(self) -> None:
        pass

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None) -> TelegramType:  # noqa: ASYNC109
        chat_id = getattr(method, "chat_id", 0) or 0
        text = getattr(method, "text", "") or ""
        return Message(  # type: ignore[return-value]
            message_id=next(self.ids), date=datetime.now(UTC), chat=Chat(id=int(chat_id), type="private"), text=text
        )


def floor_dispatcher(db: Database) -> Dispatcher:
    r = Router()
    i, b = items.c, stock_balances.c

    @r.message(Command("stock"))
    async def stock(message: Message, command: CommandObject) -> None:
        async with db.reading() as conn:
            row = (
                await conn.execute(
                    sa.select(i.sku, i.name, sa.func.coalesce(sa.func.sum(b.on_hand), 0))
                    .select_from(items.outerjoin(stock_balances, b.item_id == i.id))
                    .where(i.sku_key == (command.args or "").strip().lower())
                    .group_by(i.id, i.sku, i.name)
                )
            ).first()
        await message.answer(f"{row[0]} {row[1]}: {row[2]}" if row else "no such item")

    dp = Dispatcher()
    dp.include_router(r)
    return dp


@dataclass
class ChatResult:
    name: str
    ours_per_s: float
    floor_per_s: float

    @property
    def ratio(self) -> float:
        return self.ours_per_s / self.floor_per_s


def _updates(user_id: int, skus: Sequence[str], ids: Any) -> list[Update]:
    sender = User(id=user_id, is_bot=False, first_name="bench", language_code="en")
    return [
        Update(
            update_id=next(ids),
            message=Message(
                message_id=n,
                date=datetime.now(UTC),
                chat=Chat(id=user_id, type="private"),
                from_user=sender,
                text=f"/stock {sku}",
            ),
        )
        for n, sku in enumerate(skus, 1)
    ]


async def _rate(dp: Dispatcher, bot: Bot, updates: list[Update]) -> float:
    started = time.perf_counter()
    for update in updates:
        await dp.feed_update(bot, update)
    return len(updates) / (time.perf_counter() - started)


async def stock_rate(db: Database, user_id: int, skus: Sequence[str], per_block: int = 200, blocks: int = 5) -> ChatResult:
    settings = Settings()
    app = App(settings, db, Bus(SqlUnitOfWorkFactory(db), make_env(settings, SystemClock())))
    bot = Bot(TOKEN, session=InstantSession())
    ours, floor = build_dispatcher(app, bot), floor_dispatcher(db)
    ids = itertools.count(1)
    pool = itertools.cycle(skus)
    warm = _updates(user_id, [next(pool) for _ in range(20)], ids)
    await _rate(ours, bot, warm)
    await _rate(floor, bot, _updates(user_id, [next(pool) for _ in range(20)], ids))
    ours_rates, floor_rates = [], []
    for _ in range(blocks):
        ours_rates.append(await _rate(ours, bot, _updates(user_id, [next(pool) for _ in range(per_block)], ids)))
        floor_rates.append(await _rate(floor, bot, _updates(user_id, [next(pool) for _ in range(per_block)], ids)))
    return ChatResult("stock_updates", statistics.median(ours_rates), statistics.median(floor_rates))


async def run(workdir: Path, quick: bool = False, users: int = 50) -> tuple[dict[str, Any], list[str]]:
    """Both chat benchmarks on SQLite: /stock through the dispatcher, and the round trip."""
    from bench import roundtrip

    app = await roundtrip.company(workdir / "chat.db", users)
    try:
        skus = [f"RT-{n}" for n in range(20)]
        rate = await stock_rate(app.db, roundtrip.FIRST_USER, skus, per_block=20 if quick else 300, blocks=3 if quick else 5)
    finally:
        await app.close()
    trip = await roundtrip.run(workdir, users=users, per_user=2 if quick else 10)
    lines = [
        f"chat  /stock via dispatcher {rate.ours_per_s:,.0f}/s vs floor {rate.floor_per_s:,.0f}/s = {rate.ratio:.2f}x"
        f" (goal >= {STOCK_GOAL}x)",
        f"chat  p95 round trip, {users} users {trip.ours_p95_ms:,.0f} ms vs echo bot {trip.echo_p95_ms:,.0f} ms"
        f" = {trip.ratio:.2f}x (goal <= {ROUNDTRIP_GOAL}x)",
    ]
    return {"stock": asdict(rate) | {"ratio": rate.ratio}, "roundtrip": asdict(trip) | {"ratio": trip.ratio}}, lines
