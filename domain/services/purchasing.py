"""Purchase order use cases: create, edit, the approval round, cancel and close."""

from __future__ import annotations

from datetime import date, timedelta

from domain import commands as c
from domain import events as ev
from domain.errors import InvalidInput, NotFound
from domain.master import PURCHASING, Supplier
from domain.ports import UnitOfWork
from domain.purchasing import OPEN_INBOUND, PurchaseOrder
from domain.services.base import Env, act_for, check_future_date
from domain.services.lowstock import note_crossings, projected


async def next_po_number(uow: UnitOfWork, env: Env) -> str:
    year = env.today().year
    return f"PO-{year}-{await uow.sequences.next(f'PO-{year}'):05d}"


def _promised_by(supplier: Supplier, env: Env) -> date | None:
    """Without a date from the buyer, the supplier's usual lead time sets the expected date."""
    return env.today() + timedelta(days=supplier.lead_time_days) if supplier.lead_time_days else None


async def create_po(cmd: c.CreatePurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        act.require(PURCHASING, "create_po")
        if not cmd.lines:
            raise InvalidInput("lines", "", "no_lines")
        supplier = await uow.suppliers.by_code(cmd.supplier)
        if not supplier.active:
            raise InvalidInput("supplier", cmd.supplier, "inactive_supplier")
        warehouse = await uow.warehouses.by_code(cmd.warehouse)
        assert supplier.id is not None
        po = PurchaseOrder(
            number=await next_po_number(uow, env),
            supplier_id=supplier.id,
            supplier_code=supplier.code,
            currency=supplier.currency,
            warehouse_id=warehouse.id,
            created_by=act.actor_id or 0,
            created_at=act.at,
            expected_date=check_future_date(cmd.expected_date, env, "expected_date") or _promised_by(supplier, env),
            note=cmd.note,
        )
        for sku, qty, price in cmd.lines:
            po.add_line(await uow.items.by_sku(sku), qty, price, act, env.policy)
        po.events[:] = [
            ev.PurchaseOrderCreated(**act.stamp(po.number), supplier=supplier.code, total=po.total, currency=po.currency)
        ]
        await uow.pos.add(po)
        await uow.commit()
        return po


async def edit_po(cmd: c.EditPurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = await uow.pos.get(cmd.po)
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
            if cmd.qty is None and cmd.price is None:
                raise InvalidInput("qty", "", "nothing_to_change")
            if cmd.qty is not None:
                po.set_line_qty(line.line_no, cmd.qty, act, env.policy)
            if cmd.price is not None:
                po.set_line_price(line.line_no, cmd.price, act, env.policy)
        await uow.pos.save(po)
        await note_crossings(uow, act, before)
        await uow.commit()
        return po


async def set_expected_date(cmd: c.SetExpectedDate, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = await uow.pos.get(cmd.po)
        po.set_expected_date(check_future_date(cmd.expected_date, env, "expected_date"), act)
        await uow.pos.save(po)
        await uow.commit()
        return po


async def submit_po(cmd: c.SubmitPurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = await uow.pos.get(cmd.po)
        po.submit(act, env.policy)
        await uow.pos.save(po)
        await uow.commit()
        return po


async def approve_po(cmd: c.ApprovePurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = await uow.pos.get(cmd.po)
        po.approve(act)
        await uow.pos.save(po)
        await uow.commit()
        return po


async def reject_po(cmd: c.RejectPurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = await uow.pos.get(cmd.po)
        po.reject(act, cmd.reason)
        await uow.pos.save(po)
        await uow.commit()
        return po


async def revise_po(cmd: c.RevisePurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = await uow.pos.get(cmd.po)
        po.revise(act)
        await uow.pos.save(po)
        await uow.commit()
        return po


async def cancel_po(cmd: c.CancelPurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = await uow.pos.get(cmd.po)
        before = await projected(uow, {ln.item_id for ln in po.lines}) if po.status in OPEN_INBOUND else {}
        po.cancel(act, cmd.reason)
        await uow.pos.save(po)
        await note_crossings(uow, act, before)
        await uow.commit()
        return po


async def close_po(cmd: c.ClosePurchaseOrder, uow: UnitOfWork, env: Env) -> PurchaseOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        po = await uow.pos.get(cmd.po)
        before = await projected(uow, {ln.item_id for ln in po.lines if ln.open_qty > 0})
        po.close(act)
        await uow.pos.save(po)
        await note_crossings(uow, act, before)
        await uow.commit()
        return po
