"""/report: today's digest on demand, and the digest's "draft PO" buttons.

Who: admins, managers and buyers (domain.master.PURCHASING). The digest shows money (PO totals,
inventory value) and asks for purchasing decisions, so it goes to the people who make them;
warehouse, sales and viewers get a short refusal. The "draft PO" press is authorised again by
the use case (AddSuggestionToDraft needs a purchasing role), whoever drew the button.
"""

from __future__ import annotations

from typing import Protocol

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from domain import commands as c
from domain.master import PURCHASING, User
from domain.ports import Reads
from domain.services.bus import Bus
from handlers import cards
from handlers.cards import Copies
from notifications.buttons import DRAFT_PO, draft_po_sku
from notifications.messages import OutMessage
from notifications.render import Renderer


class Digests(Protocol):
    """Today's digest in a language (notifications.digest.DigestReport)."""

    async def __call__(self, lang: str) -> list[OutMessage]: ...


async def send_all(message: Message, messages: list[OutMessage]) -> None:
    for out in messages:
        markup = InlineKeyboardMarkup.model_validate(out.markup) if out.markup else None
        if out.photo is not None:
            await message.answer_photo(BufferedInputFile(out.photo, "digest.png"), caption=out.text, reply_markup=markup)
        else:
            await message.answer(out.text, reply_markup=markup)


def router() -> Router:
    r = Router(name="report")

    @r.message(Command("report"))
    async def report(message: Message, bot: Bot, actor: User, lang: str, digest: Digests, render: Renderer) -> None:
        if not actor.may(PURCHASING):
            await message.answer(render.text(lang, "report.denied"))
            return
        # Reading a big company's figures and drawing the chart takes a moment.
        await bot.send_chat_action(message.chat.id, ChatAction.TYPING, message_thread_id=message.message_thread_id)
        await send_all(message, await digest(lang))

    @r.callback_query(F.data.startswith(f"{DRAFT_PO}:"))
    async def draft(
        query: CallbackQuery, actor: User, lang: str, bus: Bus, reads: Reads, render: Renderer, copies: Copies, idem: str
    ) -> None:
        sku = draft_po_sku(query.data or "")
        if sku is None or not isinstance(query.message, Message):
            return  # not a payload we drew
        po = await bus.handle(c.AddSuggestionToDraft(actor_id=actor.id, sku=sku, idempotency_key=idem))
        await copies.refresh("p", po.number)  # the draft may already be on someone's screen
        viewer = cards.viewer_in(query.message, actor)
        card = await cards.po_card(po, viewer, lang, reads, render)
        await query.message.answer(render.text(lang, "report.drafted", number=po.number))
        await copies.send(query.message, card, "p", po.number, viewer, lang)

    return r
