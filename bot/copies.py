"""Cards stay true everywhere: every copy the bot sent of a PO or SO card is edited in place
when the order changes, each with the buttons its viewer may use now. A copy that would look
the same is left alone (Telegram refuses an edit that changes nothing)."""

from __future__ import annotations

import hashlib
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import Message

from domain.master import User
from domain.ports import Reads
from domain.purchasing import PurchaseOrder
from domain.sales import SalesOrder
from handlers.cards import Card, order_card
from notifications.render import Renderer
from storage.cards import CardCopy, SqlCardCopies

log = logging.getLogger("caixiao.cards")


def digest(card: Card) -> str:
    markup = card.markup.model_dump_json(exclude_none=True) if card.markup else ""
    return hashlib.sha1(f"{card.text}\x00{markup}".encode(), usedforsecurity=False).hexdigest()


def _gone(exc: TelegramBadRequest) -> bool:
    return "message to edit not found" in exc.message or "chat not found" in exc.message


class CardCopies:
    def __init__(self, bot: Bot, store: SqlCardCopies, reads: Reads, render: Renderer) -> None:
        self.bot, self.store, self.reads, self.render = bot, store, reads, render

    async def send(self, target: Message, card: Card, kind: str, ref: str, viewer: User | None, lang: str) -> Message:
        """Answer in the chat (and forum topic) of `target` and remember the copy."""
        sent = await target.answer(card.text, reply_markup=card.markup)
        copy = CardCopy(sent.chat.id, sent.message_id, viewer.id if viewer else None, lang, digest(card))
        await self.store.remember(kind, ref, copy)
        return sent

    async def _draw(self, order: PurchaseOrder | SalesOrder, viewer_id: int | None, lang: str) -> Card | None:
        viewer = await self.reads.user(viewer_id) if viewer_id is not None else None
        if viewer_id is not None and viewer is None:
            return None  # that person is gone: their copy keeps what it showed
        return await order_card(order, viewer, lang, self.reads, self.render)

    async def refresh(self, kind: str, ref: str) -> None:
        """Redraw every remembered copy that would change; a copy its chat deleted is forgotten.
        The order is read once; each (viewer, language) is drawn once however many copies share it."""
        order = await (self.reads.po(ref) if kind == "p" else self.reads.so(ref))
        if order is None:
            return
        drawn: dict[tuple[int | None, str], Card | None] = {}
        for copy in await self.store.of(kind, ref):
            key = (copy.viewer_id, copy.lang)
            if key not in drawn:
                drawn[key] = await self._draw(order, copy.viewer_id, copy.lang)
            card = drawn[key]
            if card is None or digest(card) == copy.digest:
                continue
            try:
                await self.bot.edit_message_text(
                    text=card.text, chat_id=copy.chat_id, message_id=copy.message_id, reply_markup=card.markup
                )
            except TelegramBadRequest as exc:
                if _gone(exc):
                    await self.store.forget(copy.chat_id, copy.message_id)
                else:
                    log.warning("card %s %s in chat %s: %s", kind, ref, copy.chat_id, exc.message)
                continue
            except TelegramForbiddenError:
                await self.store.forget(copy.chat_id, copy.message_id)
                continue
            await self.store.shows(copy.chat_id, copy.message_id, digest(card))
