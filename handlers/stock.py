"""/stock <sku or words>: the stock card, or suggestions on a miss."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.callbacks import ItemPick
from domain.ports import Reads
from notifications.render import Renderer


async def _show(target: Message, query: str, lang: str, reads: Reads, render: Renderer) -> None:
    card = await reads.stock_card(query)
    if card is not None:
        await target.answer(render.render("stock_card.html", lang, card=card))
        return
    hits = await reads.search_items(query, limit=8)
    if len(hits) == 1 and query.strip():
        single = await reads.stock_card(hits[0].sku)
        if single is not None:
            await target.answer(render.render("stock_card.html", lang, card=single))
            return
    buttons = [[InlineKeyboardButton(text=f"{h.sku} · {h.name[:40]}", callback_data=ItemPick(sku=h.sku).pack())] for h in hits]
    await target.answer(
        render.render("stock_miss.html", lang, query=query, hits=hits),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None,
    )


def router() -> Router:
    r = Router(name="stock")

    @r.message(Command("stock"))
    async def stock(message: Message, command: CommandObject, lang: str, reads: Reads, render: Renderer) -> None:
        query = (command.args or "").strip()
        if not query:
            await message.answer(render.text(lang, "stock.usage"))
            return
        await _show(message, query, lang, reads, render)

    @r.callback_query(ItemPick.filter())
    async def picked(query: CallbackQuery, callback_data: ItemPick, lang: str, reads: Reads, render: Renderer) -> None:
        if isinstance(query.message, Message):
            await _show(query.message, callback_data.sku, lang, reads, render)

    return r
