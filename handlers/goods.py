"""/receive <PO> all|<sku> <qty>… and /ship <SO> all|<sku> <qty>… [via <carrier> <tracking>]."""

from __future__ import annotations

from decimal import Decimal

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from domain import commands as c
from domain.master import User
from domain.services.bus import Bus
from handlers.cards import Copies
from handlers.forms import parse_goods
from notifications.formats import qty
from notifications.i18n import t
from notifications.render import Renderer


def _summary(lines: list[tuple[str, Decimal]]) -> str:
    return ", ".join(f"{sku} × {qty(n)}" for sku, n in lines)


def router() -> Router:
    r = Router(name="goods")

    @r.message(Command("receive"))
    async def receive(
        message: Message,
        command: CommandObject,
        actor: User,
        lang: str,
        bus: Bus,
        render: Renderer,
        copies: Copies,
        idem: str,
    ) -> None:
        if not (command.args or "").strip():
            await message.answer(render.text(lang, "goods.usage_receive"))
            return
        form = parse_goods(command.args or "")
        po = await bus.handle(c.ReceiveGoods(actor_id=actor.id, po=form.ref, lines=form.lines, idempotency_key=idem))
        progress = ", ".join(f"{ln.sku} {qty(ln.received_qty)}/{qty(ln.qty)}" for ln in po.lines)
        await copies.refresh("p", po.number)
        await message.answer(
            render.text(lang, "goods.received", number=po.number, lines=progress, status=t(lang, f"status.{po.status.value}"))
        )

    @r.message(Command("ship"))
    async def ship(
        message: Message,
        command: CommandObject,
        actor: User,
        lang: str,
        bus: Bus,
        render: Renderer,
        copies: Copies,
        idem: str,
    ) -> None:
        if not (command.args or "").strip():
            await message.answer(render.text(lang, "goods.usage_ship"))
            return
        form = parse_goods(command.args or "", shipping=True)
        so = await bus.handle(
            c.ShipSalesOrder(
                actor_id=actor.id,
                so=form.ref,
                lines=form.lines,
                carrier=form.carrier,
                tracking=form.tracking,
                idempotency_key=idem,
            )
        )
        last = so.shipments[-1]
        await copies.refresh("s", so.number)
        await message.answer(
            render.text(
                lang,
                "goods.shipped",
                number=so.number,
                lines=_summary([(sku, n) for _, sku, n in last.lines]),
                status=t(lang, f"status.{so.status.value}"),
            )
        )

    return r
