"""Stock counts and corrections, and turning purchase suggestions into draft POs."""

from __future__ import annotations

from domain import commands as c
from domain import events as ev
from domain.errors import InvalidInput
from domain.master import ADJUSTING, PURCHASING
from domain.ports import UnitOfWork
from domain.purchasing import POStatus, PurchaseOrder
from domain.services.base import Env, act_for
from domain.services.lowstock import after_stock_change
from domain.services.purchasing import open_draft_po
from domain.stock import StockChange, plan_adjustment, suggested_order_qty
from domain.values import check_qty


async def adjust_stock(cmd: c.AdjustStock, uow: UnitOfWork, env: Env) -> StockChange:
    """Reserved stock cannot be adjusted away: the guard is on-hand ≥ reserved after the change."""
    async with uow:
        act = await act_for(cmd, uow, env)
        act.require(ADJUSTING, "adjust")
        item = await uow.items.by_sku(cmd.sku)
        warehouse = await uow.warehouses.by_code(cmd.warehouse)
        assert item.id is not None
        balance = (await uow.stock.lock([(item.id, warehouse.id)]))[(item.id, warehouse.id)]
        year = env.today().year
        ref = f"ADJ-{year}-{await uow.sequences.next(f'ADJ-{year}'):05d}"
        change = plan_adjustment(
            item, warehouse.id, balance.on_hand, delta=cmd.delta, counted=cmd.counted, reason=cmd.reason, ref=ref
        )
        await uow.stock.apply([change], act)
        uow.record(
            [
                ev.StockAdjusted(
                    **act.stamp(item.sku),
                    warehouse=warehouse.code,
                    delta=change.on_hand_delta,
                    on_hand=balance.on_hand + change.on_hand_delta,
                    reason=cmd.reason.strip(),
                )
            ]
        )
        await after_stock_change(uow, act, [change])
        await uow.commit()
        return change


async def add_suggestion_to_draft(cmd: c.AddSuggestionToDraft, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    """One draft per supplier: a suggestion grows the draft's line instead of a second PO.

    Low-stock suggestions are recomputed from the current position, so the line becomes the
    larger of what it holds and what is needed now; backorder quantities are demand and add up.
    """
    async with uow:
        act = await act_for(cmd, uow, env)
        act.require(PURCHASING, "create_po")
        item = await uow.items.by_sku(cmd.sku)
        assert item.id is not None
        if cmd.supplier:
            supplier = await uow.suppliers.by_code(cmd.supplier)
        elif item.default_supplier_id:
            supplier = await uow.suppliers.get(item.default_supplier_id)
        else:
            raise InvalidInput("supplier", item.sku, "no_default_supplier")
        qty = None if cmd.qty is None else check_qty(cmd.qty)  # else 0 is silently ignored and -n shrinks the line
        if qty is None:
            qty = suggested_order_qty(item, (await uow.stock.position(item.id)).projected)
            if qty <= 0:
                raise InvalidInput("qty", item.sku, "not_needed")
        assert supplier.id is not None
        po = await uow.pos.draft_for_supplier(supplier.id)
        if po is None:
            po = await open_draft_po(uow, env, act, supplier, [(item, qty, None)])
        else:
            assert po.status == POStatus.DRAFT
            line = po.line_for_item(item.id)
            if line is None:
                po.add_line(item, qty, None, act, env.policy)
            elif cmd.reason == "backorder":
                po.set_line_qty(line.line_no, line.qty + qty, act, env.policy)
            elif qty > line.qty:
                po.set_line_qty(line.line_no, qty, act, env.policy)
            await uow.pos.save(po)
        await uow.commit()
        return po
