"""Running the chat front end: long polling or a webhook server, and stopping gracefully."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import BotCommand, TelegramObject
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.alerts import alerts_running
from bot.bootstrap import App, build_app
from bot.config import Settings
from bot.dispatcher import build_bot, build_dispatcher
from handlers import COMMANDS
from notifications.i18n import LANGUAGES, t

log = logging.getLogger("caixiao.serve")
DRAIN_SECONDS = 30.0


class InFlight(BaseMiddleware):
    """Counts updates being handled, so a shutdown can wait for them to finish."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()

    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        self.count += 1
        self.idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.count -= 1
            if self.count == 0:
                self.idle.set()

    async def drain(self, seconds: float = DRAIN_SECONDS) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self.idle.wait()
        except TimeoutError:
            log.warning("stopped with %d updates still running after %.0f s", self.count, seconds)


async def publish_commands(bot: Bot, default_language: str = "zh") -> None:
    """The command menu in each language, and the company's language for everyone else."""

    def menu(lang: str) -> list[BotCommand]:
        return [BotCommand(command=name, description=t(lang, f"menu.{key}")) for name, key in COMMANDS]

    for lang in LANGUAGES:
        await bot.set_my_commands(menu(lang), language_code=lang)
    await bot.set_my_commands(menu(default_language))


@asynccontextmanager
async def background(app: App, bot: Bot) -> AsyncIterator[None]:
    """The services that run beside the chat front end (scheduler, alert routing and sending):
    started and stopped here only, so `caixiao run` and the sandbox (bot.sandbox) run the same."""
    async with alerts_running(app, bot):
        yield


def prepare(app: App) -> tuple[Bot, Dispatcher, InFlight]:
    bot = build_bot(app.settings)
    dp = build_dispatcher(app, bot)
    inflight = InFlight()
    dp.update.outer_middleware(inflight)
    return bot, dp, inflight


async def run_polling(app: App) -> None:
    bot, dp, inflight = prepare(app)
    await bot.delete_webhook(drop_pending_updates=False)
    await publish_commands(bot, app.settings.company.language)
    try:
        async with background(app, bot):
            await dp.start_polling(bot, handle_signals=True, close_bot_session=False, polling_timeout=25)
    finally:
        await inflight.drain()
        await dp["actors"].settle()
        await dp.storage.close()
        await bot.session.close()


def webhook_app(app: App, bot: Bot, dp: Dispatcher, inflight: InFlight) -> web.Application:
    tg = app.settings.telegram
    secret = tg.webhook_secret.get_secret_value() if tg.webhook_secret else None
    web_app = web.Application()
    path = urlsplit(tg.webhook_url or "").path or "/telegram"
    SimpleRequestHandler(dp, bot, secret_token=secret).register(web_app, path=path)

    async def health(_: web.Request) -> web.Response:
        async with app.db.reading() as conn:
            await conn.exec_driver_sql("SELECT 1")
        return web.json_response({"ok": True, "in_flight": inflight.count})

    web_app.router.add_get("/healthz", health)
    return web_app


async def run_webhook(app: App) -> None:
    bot, dp, inflight = prepare(app)
    tg = app.settings.telegram
    runner = web.AppRunner(webhook_app(app, bot, dp, inflight))
    await runner.setup()
    site = web.TCPSite(runner, tg.listen_host, tg.listen_port)
    await site.start()
    await publish_commands(bot, app.settings.company.language)
    secret = tg.webhook_secret.get_secret_value() if tg.webhook_secret else None
    await bot.set_webhook(tg.webhook_url or "", secret_token=secret, allowed_updates=dp.resolve_used_update_types())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("webhook listening on %s:%s", tg.listen_host, tg.listen_port)
    try:
        async with background(app, bot):
            await stop.wait()
    finally:
        await site.stop()  # no new updates; those already accepted finish below
        await inflight.drain()
        await dp["actors"].settle()
        await runner.cleanup()
        await dp.storage.close()
        await bot.session.close()


async def serve(settings: Settings) -> int:
    app = await build_app(settings)
    try:
        await (run_webhook(app) if settings.telegram.mode == "webhook" else run_polling(app))
    finally:
        await app.close()
    return 0
