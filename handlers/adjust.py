"""/adjust <sku> <+n|-n|=n> <reason…>: a correction with a reason, never a silent overwrite."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from domain import commands as c
from domain.master import User
from domain.ports import Reads
from domain.services.bus import Bus
from handlers.forms import parse_adjustment
from notifications.formats import qty
from notifications.render import Renderer


def router() -> Router:
    r = Router(name="adjust")

    @r.message(Command("adjust"))
    async def adjust(
        message: Message, command: CommandObject, actor: User, lang: str, bus: Bus, reads: Reads, render: Renderer, idem: str
    ) -> None:
        if not (command.args or "").strip():
            await message.answer(render.text(lang, "adjust.usage"))
            return
        form = parse_adjustment(command.args or "")
        change = await bus.handle(
            c.AdjustStock(
                actor_id=actor.id, sku=form.sku, delta=form.delta, counted=form.counted, reason=form.reason, idempotency_key=idem
            )
        )
        card = await reads.stock_card(form.sku)
        delta = change.on_hand_delta
        await message.answer(
            render.text(
                lang,
                "adjust.done",
                sku=change.sku or form.sku,
                delta=("+" if delta > 0 else "") + qty(delta),
                on_hand=qty(card.on_hand) if card else "—",
                reason=form.reason,
            )
        )

    return r
