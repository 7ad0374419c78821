"""An emulator per test and a real aiogram Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.emulator import Emulator, EmulatorClient


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> EmulatorClient:
    return emu.client


def make_bot(emu: Emulator, token: str | None = None) -> Bot:
    return Bot(token or emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    tg = make_bot(emu)
    try:
        yield tg
    finally:
        await tg.session.close()
