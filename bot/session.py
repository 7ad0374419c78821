"""The Bot API session: aiogram's aiohttp session, with the classes of its responses kept alive.

aiogram validates every answer through `Response[T]`, a pydantic generic parametrised per call.
pydantic caches such classes only weakly, so once nothing else holds one the garbage collector
drops it and the next call builds it again: about 3 ms of schema generation per Bot API call,
most of what a reply costs. Holding each `Response[T]` this process has used keeps it cached.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

_KEPT: dict[Any, type[Response[Any]]] = {}


class KeptResponseSession(AiohttpSession):
    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in _KEPT:
            _KEPT[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)
