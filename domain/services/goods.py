"""Goods in and out: receiving (which serves waiting backorders first), returns, shipping."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from domain import commands as c
from domain.errors import InvalidInput
from domain.ports import UnitOfWork
from domain.purchasing import PurchaseOrder
from domain.sales import SalesOrder
from domain.services.base import Env, act_for, as_seen
from domain.services.lowstock import after_stock_change, note_crossings, projected


def _by_line(lines: Iterable[c.QtySpec], order: PurchaseOrder | SalesOrder, kind: str) -> dict[int, Decimal]:
    """Resolve (sku, qty) pairs to line numbers of the order; a SKU given twice adds up."""
    out: dict[int, Decimal] = {}
    for sku, qty in lines:
        match = [ln for ln in order.lines if ln.sku.lower() == sku.strip().lower()]
        if not match:
            raise InvalidInput("sku", sku, f"not_on_{kind}")
        out[match[0].line_no] = out.get(match[0].line_no, Decimal(0)) + qty
    return out


async def receive_goods(cmd: c.ReceiveGoods, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = as_seen(cmd, "po", await uow.pos.get(cmd.po))
        if cmd.lines is None:
            changes = po.receive_all(act, env.receipt_tolerance)
        else:
            changes = po.receive(_by_line(cmd.lines, po, "po"), act, env.receipt_tolerance)
        # Lock order everywhere: the order row, then waiting sales orders, then balances by key.
        waiting = await uow.sos.waiting_for([ch.item_id for ch in changes], po.warehouse_id)
        balances = await uow.stock.lock(ch.key for ch in changes)
        # Reserving for backorders lowers projected stock (the receipt itself only turns inbound
        # into on hand), so items with waiting orders are judged against their position before.
        before = await projected(uow, {item_id for item_id, sos in waiting.items() if sos})
        await uow.stock.apply(changes, act)
        for change in changes:
            free = balances[change.key].available + change.on_hand_delta
            for so in waiting[change.item_id]:
                reservations = so.reserve_backorder(change.item_id, free, act, po.number)
                free -= sum((r.reserved_delta for r in reservations), Decimal(0))
                if reservations:
                    await uow.stock.apply(reservations, act)
                    await uow.sos.save(so)
        await uow.pos.save(po)
        await note_crossings(uow, act, before)
        await uow.commit()
        return po


async def return_to_supplier(cmd: c.ReturnToSupplier, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = as_seen(cmd, "po", await uow.pos.get(cmd.po))
        changes = po.return_goods(_by_line(cmd.lines, po, "po"), act, cmd.reason)
        await uow.stock.lock(ch.key for ch in changes)
        # Measured, not estimated from the moves: a return from an open PO is expected again
        # (inbound grows by what left), so projected stock may not drop at all.
        before = await projected(uow, {ch.item_id for ch in changes})
        await uow.stock.apply(changes, act)
        await uow.pos.save(po)
        await note_crossings(uow, act, before)
        await uow.commit()
        return po


async def ship_so(cmd: c.ShipSalesOrder, uow: UnitOfWork, env: Env) -> SalesOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        so = as_seen(cmd, "so", await uow.sos.get(cmd.so))
        balances = await uow.stock.lock((ln.item_id, so.warehouse_id) for ln in so.lines)
        available = {item_id: bal.available for (item_id, _), bal in balances.items()}
        quantities = None if cmd.lines is None else _by_line(cmd.lines, so, "so")
        changes = so.ship(act, available, quantities, carrier=cmd.carrier, tracking=cmd.tracking)
        await uow.stock.apply(changes, act)
        await uow.sos.save(so)
        await after_stock_change(uow, act, changes)
        await uow.commit()
        return so
