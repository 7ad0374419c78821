"""The read side of import and export: which codes exist, and tables to write out."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.importing import Known, template
from storage.tables import customers, items, stock_balances, suppliers, warehouses


async def known_codes(conn: AsyncConnection) -> Known:
    return Known(
        suppliers=frozenset((await conn.scalars(select(suppliers.c.code_key))).all()),
        items=frozenset((await conn.scalars(select(items.c.sku_key))).all()),
        warehouses=frozenset(c.upper() for c in (await conn.scalars(select(warehouses.c.code))).all()),
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


async def export_rows(conn: AsyncConnection, kind: str) -> tuple[list[str], list[list[str]]]:
    """The header the importer reads (English) and the rows, ordered by code."""
    header = template(kind)
    if kind == "items":
        query = (
            select(items, suppliers.c.code.label("supplier"))
            .outerjoin(suppliers, suppliers.c.id == items.c.default_supplier_id)
            .order_by(items.c.sku_key)
        )
    elif kind in ("suppliers", "customers"):
        table = suppliers if kind == "suppliers" else customers
        query = select(table).order_by(table.c.code_key)
    else:
        b = stock_balances.c
        query = (
            select(items.c.sku, warehouses.c.code.label("warehouse"), b.on_hand.label("qty"))
            .join(items, items.c.id == b.item_id)
            .join(warehouses, warehouses.c.id == b.warehouse_id)
            .order_by(items.c.sku_key, warehouses.c.code)
        )
    rows = (await conn.execute(query)).all()
    return header, [[_text(row._mapping[name]) for name in header] for row in rows]
