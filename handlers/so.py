"""/so (lists and cards): the same as /po, for sales orders."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from handlers.po import list_or_card


def router() -> Router:
    r = Router(name="so")

    @r.message(Command("so"))
    async def so(message: Message, command: CommandObject, **env: Any) -> None:
        await list_or_card("so", message, command, **env)

    return r
