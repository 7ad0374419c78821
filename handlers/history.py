"""/history <PO, SO or sku>: who did what, when."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from domain.ports import Reads
from notifications.render import Renderer

SHOWN = 25  # entries per message: the newest, with a note that older ones exist


def router() -> Router:
    r = Router(name="history")

    @r.message(Command("history"))
    async def history(message: Message, command: CommandObject, lang: str, reads: Reads, render: Renderer) -> None:
        ref = (command.args or "").strip()
        if not ref:
            await message.answer(render.text(lang, "history.usage"))
            return
        found = await reads.history(ref, SHOWN)
        if found is None or not found.entries:
            await message.answer(render.text(lang, "history.empty", ref=ref[:40]))
            return
        people = await reads.user_names({e.actor_id for e in found.entries if e.actor_id is not None})
        await message.answer(render.render("history.html", lang, history=found, people=people))

    return r
