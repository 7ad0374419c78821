"""Consistency checks: every balance equals its ledger sum, every reservation its orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.statuses import OPEN_SO
from storage.tables import items, sales_orders, so_lines, stock_balances, stock_moves, warehouses


@dataclass(frozen=True, slots=True)
class Drift:
    sku: str
    warehouse: str
    what: str  # "on_hand" or "reserved"
    balance: Decimal
    expected: Decimal


async def ledger_drift(conn: AsyncConnection) -> list[Drift]:
    """Balances whose on-hand differs from the ledger sum, or whose reserved differs from the
    open sales order lines' reservations. An empty list means the books agree."""
    m, b, ln, so = stock_moves.c, stock_balances.c, so_lines.c, sales_orders.c
    moved = select(m.item_id, m.warehouse_id, func.sum(m.qty).label("total")).group_by(m.item_id, m.warehouse_id).subquery()
    reserved = (
        select(ln.item_id, so.warehouse_id, func.sum(ln.reserved_qty).label("total"))
        .join(sales_orders, so.id == ln.so_id)
        .where(so.status.in_(OPEN_SO))
        .group_by(ln.item_id, so.warehouse_id)
        .subquery()
    )
    keys = union_all(
        select(b.item_id, b.warehouse_id),
        select(moved.c.item_id, moved.c.warehouse_id),
    ).subquery()
    query = (
        select(
            items.c.sku,
            warehouses.c.code,
            func.coalesce(b.on_hand, 0).label("on_hand"),
            func.coalesce(moved.c.total, 0).label("moved"),
            func.coalesce(b.reserved, 0).label("reserved"),
            func.coalesce(reserved.c.total, 0).label("held"),
        )
        .select_from(keys)
        .join(items, items.c.id == keys.c.item_id)
        .join(warehouses, warehouses.c.id == keys.c.warehouse_id)
        .outerjoin(stock_balances, (b.item_id == keys.c.item_id) & (b.warehouse_id == keys.c.warehouse_id))
        .outerjoin(moved, (moved.c.item_id == keys.c.item_id) & (moved.c.warehouse_id == keys.c.warehouse_id))
        .outerjoin(reserved, (reserved.c.item_id == keys.c.item_id) & (reserved.c.warehouse_id == keys.c.warehouse_id))
        .distinct()
    )
    out = []
    for row in (await conn.execute(query)).all():
        if row.on_hand != row.moved:
            out.append(Drift(row.sku, row.code, "on_hand", row.on_hand, row.moved))
        if row.reserved != row.held:
            out.append(Drift(row.sku, row.code, "reserved", row.reserved, row.held))
    return out


async def count_balances(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.count()).select_from(stock_balances)) or 0)
