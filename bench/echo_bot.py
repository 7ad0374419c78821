"""The round trip's floor: an aiogram bot that answers every message with its text.
`python -m bench.echo_bot API_BASE TOKEN` polls until SIGTERM."""

from __future__ import annotations

import asyncio
import sys

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bench.roundtrip import echo_dispatcher


async def main(api_base: str, token: str) -> None:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
    await echo_dispatcher().start_polling(bot, handle_signals=True, close_bot_session=True, polling_timeout=10)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
