"""The webhook server refuses requests without Telegram's secret and reports its health; the
command menu is published in both languages; dialogues can live in Redis."""

from __future__ import annotations

import os
from datetime import timedelta

import aiohttp
import pytest
from aiogram.fsm.storage.base import StorageKey
from aiohttp import web

from bot.bootstrap import App
from bot.config import Settings, load_settings
from bot.dispatcher import build_bot, build_storage
from bot.emulator import Emulator
from bot.serve import prepare, publish_commands, webhook_app
from tests.e2e.conftest import SECRET, TOKEN, free_port
from tests.support import World

REDIS_URL = os.environ.get("CAIXIAO_TEST_REDIS_URL")


def webhook_settings(emu: Emulator, port: int) -> Settings:
    env = {
        "CAIXIAO_TELEGRAM__TOKEN": TOKEN,
        "CAIXIAO_TELEGRAM__API_BASE": emu.base_url,
        "CAIXIAO_TELEGRAM__MODE": "webhook",
        "CAIXIAO_TELEGRAM__WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "CAIXIAO_TELEGRAM__WEBHOOK_SECRET": SECRET,
    }
    return load_settings(None, environ=env)


async def test_webhook_refuses_a_wrong_secret_and_serves_health(emu: Emulator, company: tuple[str, World]) -> None:
    _, world = company
    port = free_port()
    app = App(webhook_settings(emu, port), world.db, world.bus)
    bot, dp, inflight = prepare(app)
    runner = web.AppRunner(webhook_app(app, bot, dp, inflight))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "/start"}}
    try:
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                async with http.post(f"http://127.0.0.1:{port}/telegram", json=update, headers=headers) as resp:
                    assert resp.status == 401
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200 and (await resp.json())["ok"] is True
        assert await emu.client.updates() == [] and await emu.client.errors() == []
    finally:
        await runner.cleanup()
        await bot.session.close()


async def test_the_command_menu_is_published_in_chinese_and_english(emu: Emulator) -> None:
    settings = load_settings(None, environ={"CAIXIAO_TELEGRAM__TOKEN": TOKEN, "CAIXIAO_TELEGRAM__API_BASE": emu.base_url})
    bot = build_bot(settings)
    try:
        await publish_commands(bot)
    finally:
        await bot.session.close()
    menus = {
        key.rsplit("|", 1)[1]: {c["command"]: c["description"] for c in cmds}
        for key, cmds in (await emu.client.commands()).items()
    }
    assert set(menus) == {"zh", "en", ""}  # "" is everyone else: the company's default, Chinese
    assert menus["en"]["po"].startswith("Purchase orders") and menus["zh"]["po"].startswith("采购单")
    assert menus[""] == menus["zh"] and list(menus["en"]) == list(menus["zh"])


@pytest.mark.skipif(not REDIS_URL, reason="Redis tests skipped: set CAIXIAO_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
async def test_dialogues_can_live_in_redis(company: tuple[str, World]) -> None:
    _, world = company
    assert REDIS_URL is not None
    settings = load_settings(None, environ={"CAIXIAO_DIALOGUE__STORAGE": "redis", "CAIXIAO_DIALOGUE__REDIS_URL": REDIS_URL})
    storage = build_storage(App(settings, world.db, world.bus))
    key = StorageKey(bot_id=424242, chat_id=-7, user_id=os.getpid())
    try:
        await storage.set_state(key, "NewPO:lines")
        await storage.update_data(key, {"partner": "ACME"})
        again = build_storage(App(settings, world.db, world.bus))  # another worker, same Redis
        assert await again.get_state(key) == "NewPO:lines"
        assert await again.get_data(key) == {"partner": "ACME"}
        await again.close()
    finally:
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        await storage.close()
    assert timedelta(minutes=settings.dialogue.timeout_minutes) > timedelta(0)
