"""The aiogram side of the composition root: the Bot, the Dispatcher and what handlers get."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject, Update
from aiogram.utils.callback_answer import CallbackAnswerMiddleware

from bot.bootstrap import App
from bot.config import Settings
from bot.copies import CardCopies
from bot.middlewares import Actor, SeenUpdates
from bot.session import KeptResponseSession
from bot.state_cache import NoDialogueCache
from bot.transfers import ChatTransfers
from domain.services.bindings import AlertSubscriptions
from handlers import routers
from notifications.digest import DigestReport
from notifications.render import Renderer
from notifications.scheduling import JobBoard, Plan
from storage.bindings import SqlAlertBindings
from storage.cards import SqlCardCopies
from storage.fsm import SqlFsmStorage
from storage.reads import SqlReads
from storage.settings import SqlPreferences
from storage.targets import SqlChatTargets


def build_bot(settings: Settings) -> Bot:
    token = settings.telegram.token
    assert token is not None, "build_bot needs a token"
    session = KeptResponseSession(api=TelegramAPIServer.from_base(settings.telegram.api_base))
    return Bot(token.get_secret_value(), session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def build_isolation(app: App, storage: BaseStorage) -> BaseEventIsolation:
    """One person's updates are handled one at a time and in order, from reading their dialogue
    step to the reply (RELIABILITY T11); with Redis, across every worker."""
    if isinstance(storage, RedisStorage):
        return storage.create_isolation()
    return SimpleEventIsolation()


def build_storage(app: App) -> BaseStorage:
    dialogue = app.settings.dialogue
    timeout = timedelta(minutes=dialogue.timeout_minutes)
    if dialogue.storage == "redis":
        return RedisStorage.from_url(dialogue.redis_url, state_ttl=timeout, data_ttl=timeout)
    return NoDialogueCache(SqlFsmStorage(app.db, ttl=timeout, clock=app.bus.env.clock))


class UpdateKey(BaseMiddleware):
    """Hands each handler the update's idempotency key: a business effect stores it in its own
    transaction, so the same update delivered again (even to another worker) changes nothing."""

    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        assert isinstance(event, Update)
        data["idem"] = f"tg:{event.update_id}"
        return await handler(event, data)


def build_dispatcher(app: App, bot: Bot, storage: BaseStorage | None = None) -> Dispatcher:
    reads = SqlReads(app.db)
    render = Renderer(ZoneInfo(app.settings.company.timezone))
    storage = storage or build_storage(app)
    dp = Dispatcher(storage=storage, events_isolation=build_isolation(app, storage))
    dp.update.outer_middleware(SeenUpdates())
    dp.update.outer_middleware(UpdateKey())
    preferences = SqlPreferences(app.db)
    actor = Actor(reads, app.settings.company.language, preferences=preferences)
    for observer in (dp.message, dp.callback_query, dp.inline_query):
        observer.outer_middleware(actor)
    dp.callback_query.middleware(CallbackAnswerMiddleware(pre=True))
    dp.include_routers(*routers())
    company = app.settings.company
    dp.workflow_data.update(
        bus=app.bus,
        reads=reads,
        render=render,
        settings=app.settings,
        digest=DigestReport(app.db, app.bus.env.clock, tz=render.timezone, currency=company.currency, company=company.name),
        copies=CardCopies(bot, SqlCardCopies(app.db), reads, render),
        alert_bindings=AlertSubscriptions(SqlAlertBindings(app.db), app.bus.env.clock),
        jobs=JobBoard(app.db, Plan.from_settings(app.settings), app.bus.env.clock.now),
        transfers=ChatTransfers(app.db, app.bus, bot, render.timezone),
        preferences=preferences,
        chat_targets=SqlChatTargets(app.db),
        actors=actor,
    )
    return dp
