"""Editing a draft PO before it is submitted: `<sku> <qty> [@price]` sets a line, `-<sku>`
removes one, `by <YYYY-MM-DD>` moves the date, `done` shows the card again."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.callbacks import OrderAction
from domain import commands as c
from domain.master import User
from domain.ports import Reads
from domain.services.bus import Bus
from handlers import cards
from handlers.cards import Copies
from handlers.forms import parse_day, parse_order, tokens
from notifications.render import Renderer

DONE = {"done", "ok", "完成", "好"}
TEXT = F.text & ~F.text.startswith("/")


class EditingPO(StatesGroup):
    changes = State()


def _change(text: str, po: str, actor: User, idem: str) -> c.Command:
    words = tokens(text)
    if len(words) == 2 and words[0].lower() == "by":
        return c.SetExpectedDate(actor_id=actor.id, po=po, expected_date=parse_day(words[1], "by"), idempotency_key=idem)
    if len(words) == 1 and words[0].startswith("-") and len(words[0]) > 1:
        return c.EditPurchaseOrder(actor_id=actor.id, po=po, sku=words[0][1:], remove=True, idempotency_key=idem)
    sku, qty, price = parse_order("_ " + " ".join(words), "line").lines[0]
    return c.EditPurchaseOrder(actor_id=actor.id, po=po, sku=sku, qty=qty, price=price, idempotency_key=idem)


def router() -> Router:
    r = Router(name="edit_po")

    @r.callback_query(OrderAction.filter((F.act == "ed") & (F.kind == "p")))
    async def start(query: CallbackQuery, callback_data: OrderAction, state: FSMContext, lang: str, render: Renderer) -> None:
        if not isinstance(query.message, Message):
            return
        await state.set_state(EditingPO.changes)
        await state.set_data({"po": callback_data.ref})
        await query.message.answer(render.text(lang, "dialog.edit_help", number=callback_data.ref))

    @r.message(StateFilter(EditingPO.changes), TEXT)
    async def change(
        message: Message,
        state: FSMContext,
        actor: User,
        lang: str,
        bus: Bus,
        reads: Reads,
        render: Renderer,
        copies: Copies,
        idem: str,
    ) -> None:
        number = str((await state.get_data())["po"])
        text = (message.text or "").strip()
        if text.lower() in DONE:
            await state.clear()
            po = await reads.po(number)
            if po is not None:
                viewer = cards.viewer_in(message, actor)
                card = await cards.po_card(po, viewer, lang, reads, render)
                await copies.send(message, card, "p", po.number, viewer, lang)
            return
        await bus.handle(_change(text, number, actor, idem))
        await copies.refresh("p", number)
        await message.answer(render.text(lang, "dialog.edited", number=number))

    return r
