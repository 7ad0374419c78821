"""A plain line in a private chat that no dialogue is waiting for: most often the answer to a
dialogue that timed out, so say that nothing is in progress instead of staying silent. Groups
are left alone: people talk there among themselves."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import StateFilter
from aiogram.types import Message

from bot.config import Settings
from notifications.render import Renderer


def router() -> Router:
    r = Router(name="fallback")

    @r.message(StateFilter(None), F.chat.type == ChatType.PRIVATE, F.text, ~F.text.startswith("/"), F.via_bot.is_(None))
    async def idle(message: Message, lang: str, render: Renderer, settings: Settings) -> None:
        hours = max(1, settings.dialogue.timeout_minutes // 60)
        await message.answer(render.text(lang, "dialog.idle", hours=hours))

    @r.message(StateFilter(None), F.chat.type == ChatType.PRIVATE, F.text.startswith("/"))
    async def unknown(message: Message, lang: str, render: Renderer) -> None:
        await message.answer(render.text(lang, "dialog.unknown_command", command=(message.text or "").split()[0][:40]))

    return r
