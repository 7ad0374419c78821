"""The read side of import and export: which codes exist, and tables to write out."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.importing import Known, template
from storage.tables import (
    customers,
    items,
    po_lines,
    purchase_orders,
    sales_orders,
    so_lines,
    stock_balances,
    stock_moves,
    suppliers,
    warehouses,
)


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


REPORTS = ("pos", "sos", "moves")
_REPORT_HEADERS = {
    "pos": [
        "number",
        "status",
        "supplier",
        "warehouse",
        "created",
        "expected_date",
        "line",
        "sku",
        "qty",
        "unit_price",
        "received_qty",
        "currency",
    ],
    "sos": [
        "number",
        "status",
        "customer",
        "warehouse",
        "created",
        "promised_date",
        "line",
        "sku",
        "qty",
        "unit_price",
        "reserved_qty",
        "shipped_qty",
        "currency",
    ],
    "moves": ["id", "at", "sku", "warehouse", "kind", "qty", "ref", "actor_id", "source"],
}


def _local(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).replace(tzinfo=None).isoformat(timespec="seconds")


async def export_report(
    conn: AsyncConnection, kind: str, tz: tzinfo, start: date | None = None, end: date | None = None
) -> tuple[list[str], list[list[str]]]:
    """Orders (one row per line) or ledger moves, created within [start, end] in the company's
    time zone (both days included); times are written as local time."""
    since = datetime.combine(start, time.min, tz) if start else None
    until = datetime.combine(end + timedelta(days=1), time.min, tz) if end else None
    if kind == "moves":
        m = stock_moves.c
        query = (
            select(m.id, m.at, items.c.sku, warehouses.c.code.label("warehouse"), m.kind, m.qty, m.ref, m.actor_id, m.source)
            .join(items, items.c.id == m.item_id)
            .join(warehouses, warehouses.c.id == m.warehouse_id)
            .order_by(m.id)
        )
        stamp = m.at
    else:
        order, lines, partners = (purchase_orders, po_lines, suppliers) if kind == "pos" else (sales_orders, so_lines, customers)
        partner = "supplier" if kind == "pos" else "customer"
        query = (
            select(
                order,
                lines,
                order.c.created_at.label("created"),
                lines.c.line_no.label("line"),
                items.c.sku,
                partners.c.code.label(partner),
                warehouses.c.code.label("warehouse"),
            )
            .join(lines, lines.c[f"{kind[:2]}_id"] == order.c.id)
            .join(items, items.c.id == lines.c.item_id)
            .join(partners, partners.c.id == order.c[f"{partner}_id"])
            .join(warehouses, warehouses.c.id == order.c.warehouse_id)
            .order_by(order.c.id, lines.c.line_no)
        )
        stamp = order.c.created_at
    if since:
        query = query.where(stamp >= since)
    if until:
        query = query.where(stamp < until)
    header = _REPORT_HEADERS[kind]
    out = []
    for row in (await conn.execute(query)).all():
        values = row._mapping
        out.append([_local(values[n], tz) if isinstance(values[n], datetime) else _text(values[n]) for n in header])
    return header, out
