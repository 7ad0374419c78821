"""Purchase order use cases: create, edit, the approval round, cancel and close."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import events as ev
from domain.acts import Act
from domain.errors import InvalidInput, NotFound
from domain.master import MAIN_WAREHOUSE, PURCHASING, Item, Supplier
from domain.ports import UnitOfWork
from domain.purchasing import OPEN_INBOUND, PurchaseOrder
from domain.services.base import Env, act_for, as_seen, check_future_date
from domain.services.lowstock import note_crossings, projected


async def next_po_number(uow: UnitOfWork, env: Env) -> str:
    year = env.today().year
    return f"PO-{year}-{await uow.sequences.next(f'PO-{year}'):05d}"


def _promised_by(supplier: Supplier, env: Env) -> date | None:
    """Without a date from the buyer, the supplier's usual lead time sets the expected date."""
    return env.today() + timedelta(days=supplier.lead_time_days) if supplier.lead_time_days else None


async def open_draft_po(
    uow: UnitOfWork, env: Env, act: Act, supplier: Supplier, lines: Iterable[tuple[Item, Decimal, Decimal | None]], **header: Any
) -> PurchaseOrder:
    """A new draft PO with its lines, numbered and added to the unit of work."""
    if not supplier.active:
        raise InvalidInput("supplier", supplier.code, "inactive_supplier")
    assert supplier.id is not None
    header.setdefault("warehouse_id", (await uow.warehouses.by_code(MAIN_WAREHOUSE)).id)
    header.setdefault("expected_date", _promised_by(supplier, env))
    po = PurchaseOrder(
        number=await next_po_number(uow, env),
        supplier_id=supplier.id,
        supplier_code=supplier.code,
        currency=supplier.currency,
        created_by=act.actor_id or 0,
        created_at=act.at,
        **header,
    )
    for item, qty, price in lines:
        po.add_line(item, qty, price, act, env.policy)
    # The lines are part of creating it, not changes to announce one by one.
    po.events[:] = [ev.PurchaseOrderCreated(**act.stamp(po.number), supplier=supplier.code, total=po.total, currency=po.currency)]
    await uow.pos.add(po)
    return po


async def create_po(cmd: c.CreatePurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        act.require(PURCHASING, "create_po")
        if not cmd.lines:
            raise InvalidInput("lines", "", "no_lines")
        supplier = await uow.suppliers.by_code(cmd.supplier)
        warehouse = await uow.warehouses.by_code(cmd.warehouse)
        lines = [(await uow.items.by_sku(sku), qty, price) for sku, qty, price in cmd.lines]
        expected = check_future_date(cmd.expected_date, env, "expected_date") or _promised_by(supplier, env)
        po = await open_draft_po(uow, env, act, supplier, lines, warehouse_id=warehouse.id, expected_date=expected, note=cmd.note)
        await uow.commit()
        return po


async def edit_po(cmd: c.EditPurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = as_seen(cmd, "po", await uow.pos.get(cmd.po))
        item = await uow.items.by_sku(cmd.sku)
        assert item.id is not None
        watched = po.status in OPEN_INBOUND
        before = await projected(uow, {ln.item_id for ln in po.lines}) if watched else {}
        line = po.line_for_item(item.id)
        if line is None:
            if cmd.remove or cmd.qty is None:
                raise NotFound("po_line", f"{po.number}/{cmd.sku}")
            po.add_line(item, cmd.qty, cmd.price, act, env.policy)
        elif cmd.remove:
            po.remove_line(line.line_no, act, env.policy)
        else:
            po.change_line(line.line_no, act, env.policy, qty=cmd.qty, price=cmd.price)
        await uow.pos.save(po)
        await note_crossings(uow, act, before)
        await uow.commit()
        return po


async def set_expected_date(cmd: c.SetExpectedDate, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    when = check_future_date(cmd.expected_date, env, "expected_date")
    return await _po_step(cmd, cmd.po, uow, env, lambda po, act: po.set_expected_date(when, act))


async def _po_step(
    cmd: c.Command, po_ref: str, uow: UnitOfWork, env: Env, step: Callable[[PurchaseOrder, Act], None]
) -> PurchaseOrder:
    """Load and lock the PO, apply one business act, save."""
    async with uow:
        act = await act_for(cmd, uow, env)
        po = as_seen(cmd, "po", await uow.pos.get(po_ref))
        step(po, act)
        await uow.pos.save(po)
        await uow.commit()
        return po


async def submit_po(cmd: c.SubmitPurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    return await _po_step(cmd, cmd.po, uow, env, lambda po, act: po.submit(act, env.policy))


async def approve_po(cmd: c.ApprovePurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    return await _po_step(cmd, cmd.po, uow, env, lambda po, act: po.approve(act))


async def reject_po(cmd: c.RejectPurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    return await _po_step(cmd, cmd.po, uow, env, lambda po, act: po.reject(act, cmd.reason))


async def revise_po(cmd: c.RevisePurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    return await _po_step(cmd, cmd.po, uow, env, lambda po, act: po.revise(act))


async def cancel_po(cmd: c.CancelPurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = as_seen(cmd, "po", await uow.pos.get(cmd.po))
        before = await projected(uow, {ln.item_id for ln in po.lines}) if po.status in OPEN_INBOUND else {}
        po.cancel(act, cmd.reason)
        await uow.pos.save(po)
        await note_crossings(uow, act, before)
        await uow.commit()
        return po


async def close_po(cmd: c.ClosePurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = as_seen(cmd, "po", await uow.pos.get(cmd.po))
        before = await projected(uow, {ln.item_id for ln in po.lines if ln.open_qty > 0})
        po.close(act)
        await uow.pos.save(po)
        await note_crossings(uow, act, before)
        await uow.commit()
        return po
