"""Sales order use cases: create, confirm (reserving), cancel (releasing)."""

from __future__ import annotations

from domain import commands as c
from domain import events as ev
from domain.errors import InvalidInput
from domain.master import SELLING
from domain.ports import UnitOfWork
from domain.sales import SalesOrder
from domain.services.base import Env, act_for, as_seen, check_future_date
from domain.services.lowstock import after_stock_change
from domain.values import round_up_to_multiple


async def create_so(cmd: c.CreateSalesOrder, uow: UnitOfWork, env: Env) -> SalesOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        act.require(SELLING, "create_so")
        if not cmd.lines:
            raise InvalidInput("lines", "", "no_lines")
        customer = await uow.customers.by_code(cmd.customer)
        if not customer.active:
            raise InvalidInput("customer", cmd.customer, "inactive_customer")
        warehouse = await uow.warehouses.by_code(cmd.warehouse)
        assert customer.id is not None
        year = env.today().year
        so = SalesOrder(
            number=f"SO-{year}-{await uow.sequences.next(f'SO-{year}'):05d}",
            customer_id=customer.id,
            customer_code=customer.code,
            currency=customer.currency,
            warehouse_id=warehouse.id,
            warehouse_code=warehouse.code,
            created_by=act.actor_id or 0,
            created_at=act.at,
            promised_date=check_future_date(cmd.promised_date, env, "promised_date"),
            note=cmd.note,
        )
        for sku, qty, price in cmd.lines:
            so.add_line(await uow.items.by_sku(sku), qty, price, act)
        so.events.append(
            ev.SalesOrderCreated(**act.stamp(so.number), customer=customer.code, total=so.total, currency=so.currency)
        )
        await uow.sos.add(so)
        await uow.commit()
        return so


async def confirm_so(cmd: c.ConfirmSalesOrder, uow: UnitOfWork, env: Env) -> SalesOrder:
    """Reserve what is available per line; each shortfall becomes a purchase suggestion."""
    async with uow:
        act = await act_for(cmd, uow, env)
        so = as_seen(cmd, "so", await uow.sos.get(cmd.so))
        balances = await uow.stock.lock((ln.item_id, so.warehouse_id) for ln in so.lines)
        available = {item_id: bal.available for (item_id, _), bal in balances.items()}
        changes = so.confirm(act, available, allow_backorder=cmd.allow_backorder)
        await uow.stock.apply(changes, act)
        await uow.sos.save(so)
        for line in so.lines:
            if line.backorder > 0:
                item = await uow.items.get(line.item_id)
                supplier = await uow.suppliers.get(item.default_supplier_id) if item.default_supplier_id else None
                uow.record(
                    [
                        ev.PurchaseSuggested(
                            **act.stamp(item.sku),
                            item_id=line.item_id,
                            qty=round_up_to_multiple(line.backorder, item.pack_size),
                            supplier=supplier.code if supplier else None,
                            reason="backorder",
                        )
                    ]
                )
        await after_stock_change(uow, act, changes)
        await uow.commit()
        return so


async def cancel_so(cmd: c.CancelSalesOrder, uow: UnitOfWork, env: Env) -> SalesOrder:
    async with uow:
        act = await act_for(cmd, uow, env)
        so = as_seen(cmd, "so", await uow.sos.get(cmd.so))
        changes = so.cancel(act)
        await uow.stock.lock(ch.key for ch in changes)
        await uow.stock.apply(changes, act)
        await uow.sos.save(so)
        await uow.commit()
        return so
