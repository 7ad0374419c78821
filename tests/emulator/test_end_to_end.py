"""A real aiogram Dispatcher against the emulator: polling and webhook, messages and button presses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.emulator import Emulator, EmulatorClient
from tests.emulator.conftest import make_bot


def build_dispatcher() -> Dispatcher:
    router = Router()
    seen: list[int] = []

    @router.message(Command("start"))
    async def start(message: Message) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Confirm", callback_data="confirm", style="success")]]
        )
        await message.answer(f"Hello, <b>{message.from_user.first_name if message.from_user else '?'}</b>", reply_markup=markup)

    @router.callback_query(F.data == "confirm")
    async def confirm(query: CallbackQuery) -> None:
        await query.answer("Done")
        if isinstance(query.message, Message):
            await query.message.edit_text("Confirmed ✅")

    @router.message(F.text == "count")
    async def count(message: Message) -> None:
        seen.append(message.message_id)
        await message.answer(f"seen {len(seen)}")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


@contextlib.asynccontextmanager
async def _polling(dispatcher: Dispatcher, bot: Bot) -> AsyncIterator[None]:
    task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=2, close_bot_session=False))
    try:
        yield
    finally:
        await dispatcher.stop_polling()
        await task


async def test_polling_bot_answers_a_message_and_a_button(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    dispatcher = build_dispatcher()
    async with _polling(dispatcher, bot):
        await client.send_text(ann["id"], "/start")
        hello = await client.wait_for_message(ann["id"], lambda m: m.from_bot)
        # aiogram's default is no parse mode, so the tags stay literal text — as on Telegram
        assert (hello.text, hello.parse_mode, hello.entities) == ("Hello, <b>Ann</b>", None, [])
        pressed = await client.press(ann["id"], ann["id"], hello.message_id, text="Confirm")
        assert pressed.query_id is not None
        answer = await client.wait_for_callback_answer(pressed.query_id)
        edited = await client.wait_for_message(ann["id"], lambda m: m.message_id == hello.message_id and m.edited)
        assert answer.text == "Done" and edited.text == "Confirmed ✅" and edited.buttons == []
        # the same update delivered twice reaches the handler twice: idempotency is the bot's job
        counted = await client.send_text(ann["id"], "count")
        await client.wait_for_message(ann["id"], lambda m: m.text == "seen 1")
        await client.redeliver(counted.update_id or 0)
        await client.wait_for_message(ann["id"], lambda m: m.text == "seen 2")
        status = await client.wait_until_idle(quiet=0.2)
        assert status["pending_updates"] == 0
    assert await client.errors() == []


async def test_polling_with_html_default(emu: Emulator, client: EmulatorClient) -> None:
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    tg = Bot(
        emu.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)),
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    ann = await client.create_user("Ann")
    try:
        async with _polling(build_dispatcher(), tg):
            await client.send_text(ann["id"], "/start")
            hello = await client.wait_for_message(ann["id"])
            assert (hello.text, hello.parse_mode, hello.entities[0]["type"]) == ("Hello, Ann", "HTML", "bold")
            assert hello.buttons[0].style == "success"
    finally:
        await tg.session.close()
    assert await client.errors() == []


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def test_webhook_delivers_with_secret_and_retries(bot: Bot, client: EmulatorClient) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [500]

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        if failures:
            return web.Response(status=failures.pop())
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner, url = await _serve(app)
    try:
        ann = await client.create_user("Ann")
        await bot.set_webhook(f"{url}/hook", secret_token="s3cret_token")
        injected = await client.send_text(ann["id"], "hello")
        await client.wait_until_idle(quiet=0.1)
        assert [(secret, body["update_id"]) for secret, body in received] == [("s3cret_token", injected.update_id)] * 2
        info = await bot.get_webhook_info()
        assert (
            info.pending_update_count == 0
            and info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
    finally:
        await runner.cleanup()


async def test_aiogram_webhook_handler_and_reply_as_method(emu: Emulator, client: EmulatorClient) -> None:
    tg = make_bot(emu)
    dispatcher = build_dispatcher()

    @dispatcher.message(F.text == "ping")
    async def ping(message: Message) -> Any:
        return message.answer("pong")  # returned, not awaited: aiogram puts it in the webhook reply

    app = web.Application()
    SimpleRequestHandler(dispatcher, tg, secret_token="abc", handle_in_background=False).register(app, path="/tg")
    runner, url = await _serve(app)
    try:
        ann = await client.create_user("Ann")
        await tg.set_webhook(f"{url}/tg", secret_token="abc")
        await client.send_text(ann["id"], "/start")
        hello = await client.wait_for_message(ann["id"])
        await client.press(ann["id"], ann["id"], hello.message_id, text="Confirm")
        await client.wait_for_message(ann["id"], lambda m: m.text == "Confirmed ✅")
        await client.send_text(ann["id"], "ping")
        await client.wait_for_message(ann["id"], lambda m: m.text == "pong")
    finally:
        await runner.cleanup()
        await tg.session.close()
    assert await client.errors() == []
