"""/so (lists and cards)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from domain.master import User
from domain.ports import Reads
from handlers import cards, lists
from handlers.cards import Copies
from notifications.render import Renderer


def router() -> Router:
    r = Router(name="so")

    @r.message(Command("so"))
    async def so(
        message: Message, command: CommandObject, actor: User, lang: str, reads: Reads, render: Renderer, copies: Copies
    ) -> None:
        arg = (command.args or "").strip()
        scope = arg.lower() or lists.default_scope("so", actor)
        if scope in lists.SO_SCOPES:
            shown = await lists.show("so", scope, actor, 0, lang, reads, render)
            await message.answer(shown.text, reply_markup=shown.markup)
            return
        found = await reads.so(arg)
        if found is None:
            await message.answer(render.text(lang, "so.not_found", ref=arg[:40]))
            return
        viewer = cards.viewer_in(message, actor)
        card = await cards.so_card(found, viewer, lang, reads, render)
        await copies.send(message, card, "s", found.number, viewer, lang)

    return r
