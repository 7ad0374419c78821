"""Buttons on PO and SO cards. Each press carries the version of the card it was on: the use
case refuses an outdated one (domain.errors.Outdated) and the person sees the order as it is."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ForceReply, Message

from bot.callbacks import OrderAction
from domain import commands as c
from domain.errors import DomainError, InvalidInput, Outdated, ReasonRequired
from domain.master import User
from domain.ports import Reads
from domain.services.bus import Bus
from handlers.cards import Copies
from notifications.i18n import t


class Rejecting(StatesGroup):
    reason = State()


def _command(data: OrderAction, actor: User, key: str) -> c.Command | None:
    common: dict[str, Any] = {"actor_id": actor.id, "expected_version": data.v, "idempotency_key": key}
    if data.kind == "p":
        po = data.ref
        return {
            "ok": lambda: c.ApprovePurchaseOrder(po=po, **common),
            "sub": lambda: c.SubmitPurchaseOrder(po=po, **common),
            "del": lambda: c.CancelPurchaseOrder(po=po, reason="discarded", **common),
            "rev": lambda: c.RevisePurchaseOrder(po=po, **common),
            "rcv": lambda: c.ReceiveGoods(po=po, **common),
        }.get(data.act, lambda: None)()
    if data.kind == "s":
        so = data.ref
        return {
            "cf": lambda: c.ConfirmSalesOrder(so=so, **common),
            "del": lambda: c.CancelSalesOrder(so=so, **common),
            "shp": lambda: c.ShipSalesOrder(so=so, **common),
        }.get(data.act, lambda: None)()
    return None


def router() -> Router:
    r = Router(name="decide")

    @r.callback_query(OrderAction.filter(F.act == "no"))
    async def ask_reason(
        query: CallbackQuery, callback_data: OrderAction, state: FSMContext, lang: str, actor: User, reads: Reads
    ) -> None:
        if not isinstance(query.message, Message):
            return
        po = await reads.po(callback_data.ref)
        if po is not None:
            # Refuse now rather than after the reason is typed; the use case checks again.
            actor.require(po.approver_roles, "reject")
        await state.set_state(Rejecting.reason)
        await state.set_data({"po": callback_data.ref, "v": callback_data.v})
        await query.message.answer(
            t(lang, "decision.ask_reason", number=callback_data.ref),
            parse_mode=None,
            reply_markup=ForceReply(selective=True, input_field_placeholder=t(lang, "decision.reason_placeholder")[:64]),
        )

    @r.message(StateFilter(Rejecting.reason), F.text & ~F.text.startswith("/"))
    async def reject(message: Message, state: FSMContext, actor: User, lang: str, bus: Bus, copies: Copies, idem: str) -> None:
        data = await state.get_data()
        assert message.text is not None
        command = c.RejectPurchaseOrder(
            actor_id=actor.id, po=data["po"], reason=message.text, expected_version=data["v"], idempotency_key=idem
        )
        try:
            await bus.handle(command)
        except (InvalidInput, ReasonRequired):
            raise  # the reason itself was refused: the next message is another try
        except DomainError:
            await state.clear()  # decided meanwhile, or not theirs to decide: nothing left to ask
            raise
        await state.clear()
        await copies.refresh("p", data["po"])
        await message.answer(t(lang, "decision.rejected"), parse_mode=None)

    @r.callback_query(OrderAction.filter())
    async def press(
        query: CallbackQuery,
        callback_data: OrderAction,
        actor: User,
        lang: str,
        bus: Bus,
        copies: Copies,
        idem: str,
    ) -> None:
        command = _command(callback_data, actor, idem)
        if command is None or not isinstance(query.message, Message):
            return  # not a button we drew
        try:
            await bus.handle(command)
        except Outdated:
            # The pressed card is one of the remembered copies: redrawing them all shows it as it is now.
            await copies.refresh(callback_data.kind, callback_data.ref)
            await query.message.answer(t(lang, "decision.outdated", ref=callback_data.ref), parse_mode=None)
            return
        await copies.refresh(callback_data.kind, callback_data.ref)

    return r
