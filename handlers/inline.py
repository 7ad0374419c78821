"""Inline mode: `@bot <words>` in any chat lists matching items; choosing one posts its card."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.types import InlineQuery, InlineQueryResultArticle, InputTextMessageContent

from domain.ports import Reads
from notifications.formats import qty
from notifications.i18n import t
from notifications.render import Renderer

RESULTS = 10


def router() -> Router:
    r = Router(name="inline")

    @r.inline_query()
    async def search(query: InlineQuery, lang: str, reads: Reads, render: Renderer) -> None:
        words = query.query.strip()
        results: list[Any] = []
        for hit in await reads.search_items(words, RESULTS) if words else []:
            card = await reads.stock_card(hit.sku)
            if card is None:
                continue
            amounts = {"on_hand": qty(card.on_hand), "reserved": qty(card.reserved), "available": qty(card.available)}
            totals = t(lang, "stock.totals", **amounts)
            results.append(
                InlineQueryResultArticle(
                    id=hit.sku[:64],
                    title=f"{hit.sku} · {hit.name}"[:120],
                    description=totals,
                    input_message_content=InputTextMessageContent(message_text=render.render("stock_card.html", lang, card=card)),
                )
            )
        # Personal: what someone may see depends on who they are; short cache: stock moves.
        await query.answer(results, cache_time=5, is_personal=True)

    return r
