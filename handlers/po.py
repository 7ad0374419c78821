"""/po (lists and cards) and /approvals."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.callbacks import ListPage
from domain.master import User
from domain.ports import Reads
from domain.purchasing import PurchaseOrder
from handlers import cards, lists
from handlers.cards import Copies
from notifications.render import Renderer


async def list_or_card(
    what: str,
    message: Message,
    command: CommandObject,
    actor: User,
    lang: str,
    reads: Reads,
    render: Renderer,
    copies: Copies,
    **_: Any,
) -> None:
    """/po or /so: no argument or a filter shows a list; anything else is an order number."""
    arg = (command.args or "").strip()
    scope = arg.lower() or lists.default_scope(what, actor)
    if scope in (lists.PO_SCOPES if what == "po" else lists.SO_SCOPES):
        shown = await lists.show(what, scope, actor, 0, lang, reads, render)
        await message.answer(shown.text, reply_markup=shown.markup)
        return
    found = await (reads.po(arg) if what == "po" else reads.so(arg))
    if found is None:
        await message.answer(render.text(lang, f"{what}.not_found", ref=arg[:40]))
        return
    viewer = cards.viewer_in(message, actor)
    if isinstance(found, PurchaseOrder):
        card = await cards.po_card(found, viewer, lang, reads, render)
    else:
        card = await cards.so_card(found, viewer, lang, reads, render)
    await copies.send(message, card, what[0], found.number, viewer, lang)


def router() -> Router:
    r = Router(name="po")

    @r.message(Command("po"))
    async def po(message: Message, command: CommandObject, **env: Any) -> None:
        await list_or_card("po", message, command, **env)

    @r.message(Command("approvals"))
    async def approvals(message: Message, actor: User, lang: str, reads: Reads, render: Renderer, copies: Copies) -> None:
        waiting = await reads.awaiting(actor)
        if not waiting:
            await message.answer(render.text(lang, "approvals.none"))
            return
        await message.answer(render.text(lang, "approvals.title", count=len(waiting)))
        for order in waiting[:10]:
            card = await cards.po_card(order, actor, lang, reads, render)
            await copies.send(message, card, "p", order.number, actor, lang)

    @r.callback_query(ListPage.filter())
    async def page(query: CallbackQuery, callback_data: ListPage, actor: User, lang: str, reads: Reads, render: Renderer) -> None:
        scopes = {"po": lists.PO_SCOPES, "so": lists.SO_SCOPES}.get(callback_data.what, ())
        if not isinstance(query.message, Message) or callback_data.scope not in scopes:
            return  # not a button we drew
        shown = await lists.show(callback_data.what, callback_data.scope, actor, max(callback_data.page, 0), lang, reads, render)
        await cards.redraw(query.message, shown.text, shown.markup)

    return r
