"""Cards stay true everywhere: every copy the bot sent of a PO or SO card is edited in place
when the order changes, each with the buttons its viewer may use now."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import Message

from domain.master import User
from domain.ports import Reads
from handlers.cards import Card, po_card, so_card
from notifications.render import Renderer
from storage.cards import SqlCardCopies

log = logging.getLogger("caixiao.cards")


def _unchanged(exc: TelegramBadRequest) -> bool:
    return "message is not modified" in exc.message


def _gone(exc: TelegramBadRequest) -> bool:
    return "message to edit not found" in exc.message or "chat not found" in exc.message


class CardCopies:
    def __init__(self, bot: Bot, store: SqlCardCopies, reads: Reads, render: Renderer) -> None:
        self.bot, self.store, self.reads, self.render = bot, store, reads, render

    async def send(self, target: Message, card: Card, kind: str, ref: str, viewer: User | None, lang: str) -> Message:
        """Answer in the chat (and forum topic) of `target` and remember the copy."""
        sent = await target.answer(card.text, reply_markup=card.markup)
        await self.store.remember(kind, ref, sent.chat.id, sent.message_id, viewer.id if viewer else None, lang)
        return sent

    async def edit(self, message: Message, card: Card) -> None:
        try:
            await message.edit_text(card.text, reply_markup=card.markup)
        except TelegramBadRequest as exc:
            if not _unchanged(exc):
                raise

    async def refresh(self, kind: str, ref: str) -> None:
        """Redraw every remembered copy; a copy deleted by its chat is forgotten."""
        order = await (self.reads.po(ref) if kind == "p" else self.reads.so(ref))
        if order is None:
            return
        for copy in await self.store.of(kind, ref):
            viewer = await self.reads.user(copy.viewer_id) if copy.viewer_id is not None else None
            if copy.viewer_id is not None and viewer is None:
                continue
            if kind == "p":
                card = await po_card(order, viewer, copy.lang, self.reads, self.render)  # type: ignore[arg-type]
            else:
                card = await so_card(order, viewer, copy.lang, self.reads, self.render)  # type: ignore[arg-type]
            try:
                await self.bot.edit_message_text(
                    text=card.text, chat_id=copy.chat_id, message_id=copy.message_id, reply_markup=card.markup
                )
            except TelegramBadRequest as exc:
                if _gone(exc):
                    await self.store.forget(copy.chat_id, copy.message_id)
                elif not _unchanged(exc):
                    log.warning("card %s %s in chat %s: %s", kind, ref, copy.chat_id, exc.message)
            except TelegramForbiddenError:
                await self.store.forget(copy.chat_id, copy.message_id)
