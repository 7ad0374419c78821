"""The aiogram side of the composition root: the Bot, the Dispatcher and what handlers get."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import TelegramObject, Update
from aiogram.utils.callback_answer import CallbackAnswerMiddleware

from bot.bootstrap import App
from bot.config import Settings
from bot.copies import CardCopies
from bot.middlewares import Actor, SeenUpdates
from bot.state_cache import NoDialogueCache
from handlers import routers
from notifications.render import Renderer
from storage.cards import SqlCardCopies
from storage.fsm import SqlFsmStorage
from storage.reads import SqlReads


def build_bot(settings: Settings) -> Bot:
    token = settings.telegram.token
    assert token is not None, "build_bot needs a token"
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_base))
    return Bot(token.get_secret_value(), session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def build_storage(app: App) -> BaseStorage:
    dialogue = app.settings.dialogue
    timeout = timedelta(minutes=dialogue.timeout_minutes)
    if dialogue.storage == "redis":
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(dialogue.redis_url, state_ttl=timeout, data_ttl=timeout)
    return NoDialogueCache(SqlFsmStorage(app.db, ttl=timeout, clock=app.bus.env.clock))


class OneAtATime(BaseMiddleware):
    """One person's updates are handled in the order they were sent: two quick messages in a
    dialogue must not both read the same step (RELIABILITY T11). Others are not held up."""

    def __init__(self) -> None:
        self._queues: dict[int, tuple[asyncio.Lock, list[int]]] = {}  # lock and how many hold or wait

    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        assert isinstance(event, Update)
        data["idem"] = f"tg:{event.update_id}"
        user = getattr(event.event, "from_user", None)
        if user is None:
            return await handler(event, data)
        lock, users = self._queues.setdefault(user.id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                return await handler(event, data)
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._queues[user.id]


def build_dispatcher(app: App, bot: Bot, storage: BaseStorage | None = None) -> Dispatcher:
    reads = SqlReads(app.db)
    render = Renderer(ZoneInfo(app.settings.company.timezone))
    dp = Dispatcher(storage=storage or build_storage(app))
    dp.update.outer_middleware(SeenUpdates())
    dp.update.outer_middleware(OneAtATime())
    actor = Actor(reads, app.settings.company.language)
    for observer in (dp.message, dp.callback_query, dp.inline_query):
        observer.outer_middleware(actor)
    dp.callback_query.middleware(CallbackAnswerMiddleware(pre=True))
    dp.include_routers(*routers())
    dp.workflow_data.update(
        bus=app.bus,
        reads=reads,
        render=render,
        settings=app.settings,
        copies=CardCopies(bot, SqlCardCopies(app.db), reads, render),
    )
    return dp
