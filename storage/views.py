"""The read side: lists, sweeps, cards and timelines as SQL queries returning small frozen DTOs.

Nothing here loads an aggregate. Sums and counts run in the database over indexed columns;
Python only shapes the (few) resulting rows. Every function takes a connection from
`Database.reading()`, so on SQLite it reads a WAL snapshot and never holds the write lock.

Quantities and money are stored scaled (see storage.types); arithmetic on those columns comes
back typed as a plain integer, so each such expression is coerced back with `_qty`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.master import Item
from domain.readmodels import (
    History,
    HistoryEntry,
    ItemHit,
    LowStockLine,
    OrderSummary,
    OverdueOrder,
    Page,
    StockCard,
    WarehouseStock,
)
from domain.stock import suggested_order_qty
from domain.values import line_total, round_money
from storage.pointread import PointReader
from storage.statuses import OPEN_PO, OPEN_SO
from storage.stock import available, inbound_query, is_low
from storage.tables import (
    audit_log,
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
from storage.types import as_qty

ZERO = Decimal(0)


# --- stock ------------------------------------------------------------------------------------


def inbound_by_item() -> Any:
    """Open PO quantity per item, driven by the (few) open POs through their status index."""
    ln, p = po_lines.c, purchase_orders.c
    return (
        select(ln.item_id, func.sum(ln.qty - ln.received_qty).label("inbound"))
        .join(purchase_orders, p.id == ln.po_id)
        .where(p.status.in_(OPEN_PO), ln.qty > ln.received_qty)
        .group_by(ln.item_id)
        .subquery("inbound")
    )


def low_stock_query() -> Select[Any]:
    """Every low item (storage.stock.is_low) with its available and projected quantities (the
    latter counting open PO quantity), what `suggested` needs and its default supplier's code."""
    i = items.c
    inbound = inbound_by_item()
    on_shelf = available()
    projected = on_shelf + func.coalesce(inbound.c.inbound, 0)
    return (
        select(
            i.id,
            i.sku,
            i.name,
            i.unit,
            i.reorder_point,
            i.reorder_qty,
            i.max_qty,
            i.pack_size,
            suppliers.c.code.label("supplier"),
            as_qty(on_shelf).label("available"),
            as_qty(projected).label("projected"),
        )
        .select_from(items)
        .outerjoin(inbound, inbound.c.item_id == i.id)
        .outerjoin(suppliers, suppliers.c.id == i.default_supplier_id)
        .where(is_low(projected))
    )


def suggested(row: Any) -> Decimal:
    """domain.stock.suggested_order_qty for a row of `low_stock_query`."""
    item = Item(
        row.sku,
        row.name,
        row.unit,
        reorder_point=row.reorder_point,
        reorder_qty=row.reorder_qty,
        max_qty=row.max_qty,
        pack_size=row.pack_size,
        id=row.id,
    )
    return suggested_order_qty(item, row.projected)


async def low_stock(conn: AsyncConnection, limit: int | None = None) -> list[LowStockLine]:
    """Active items with a reorder point whose projected quantity (available over all
    warehouses plus open PO quantity) is below it, by SKU, with a suggested order quantity."""
    rows = (await conn.execute(low_stock_query().order_by(items.c.sku_key).limit(limit))).all()
    return [LowStockLine(r.id, r.sku, r.name, r.unit, r.projected, r.reorder_point, suggested(r), r.supplier) for r in rows]


def _stock_card_query() -> Any:
    i, b, w = items.c, stock_balances.c, warehouses.c
    inbound = inbound_query(i.id).scalar_subquery()
    return (
        select(
            i.id,
            i.sku,
            i.name,
            i.unit,
            i.active,
            i.reorder_point,
            suppliers.c.code.label("supplier"),
            w.code.label("warehouse"),
            b.on_hand,
            b.reserved,
            inbound.label("inbound"),
        )  # fmt: skip
        .select_from(
            items.outerjoin(suppliers, suppliers.c.id == i.default_supplier_id)
            .outerjoin(stock_balances, b.item_id == i.id)
            .outerjoin(warehouses, w.id == b.warehouse_id)
        )
        .where(i.sku_key == bindparam("key"))
        .order_by(w.code)
    )


# The card is the bot's most frequent question: one statement, built once (see storage.stock).
_STOCK_CARD = _stock_card_query()


async def stock_card(conn: AsyncConnection, sku: str) -> StockCard | None:
    """Balances per warehouse plus inbound for one item; None for an unknown SKU."""
    return _card((await conn.execute(_STOCK_CARD, {"key": sku.strip().lower()})).all())


async def point_stock_card(points: PointReader, sku: str) -> StockCard | None:
    """The same card outside any transaction, in one hand-off to the driver (storage.pointread)."""
    return _card(await points.fetch(_STOCK_CARD, {"key": sku.strip().lower()}))


def _card(rows: Sequence[Any]) -> StockCard | None:
    if not rows:
        return None
    head = rows[0]
    per_warehouse = tuple(
        WarehouseStock(warehouse=r.warehouse, on_hand=r.on_hand, reserved=r.reserved) for r in rows if r.warehouse is not None
    )
    return StockCard(
        item_id=head.id,
        sku=head.sku,
        name=head.name,
        unit=head.unit,
        active=head.active,
        reorder_point=head.reorder_point,
        supplier=head.supplier,
        warehouses=per_warehouse,
        on_hand=sum((w.on_hand for w in per_warehouse), ZERO),
        reserved=sum((w.reserved for w in per_warehouse), ZERO),
        inbound=head.inbound if head.inbound is not None else ZERO,
    )


async def search_items(
    conn: AsyncConnection, words: str | Sequence[str], limit: int = 10, *, include_inactive: bool = False
) -> list[ItemHit]:
    """Items whose SKU or name contains every word (case-insensitive); exact and prefix SKU
    matches first. An empty search finds nothing."""
    terms = words.split() if isinstance(words, str) else [w for word in words for w in word.split()]
    if not terms:
        return []
    i = items.c
    conditions: list[ColumnElement[bool]] = [
        or_(i.sku_key.contains(t.lower(), autoescape=True), i.name.icontains(t, autoescape=True)) for t in terms
    ]
    if not include_inactive:
        conditions.append(i.active.is_(True))
    first = terms[0].lower()
    rank = case((i.sku_key == first, 0), (i.sku_key.startswith(first, autoescape=True), 1), else_=2)
    query = select(i.id, i.sku, i.name, i.unit, i.active).where(*conditions).order_by(rank, i.sku_key).limit(limit)
    return [ItemHit(r.id, r.sku, r.name, r.unit, r.active) for r in (await conn.execute(query)).all()]


# --- overdue ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Flow:
    """What "overdue" reads for one direction of goods: inbound POs or outbound SOs."""

    order: Table
    lines: Table
    fk: str  # the lines' column naming the order
    partner: Table
    partner_fk: str
    due: str  # the date the goods were due
    done: str  # the line quantity already handled
    states: list[str]


_INBOUND_FLOW = _Flow(purchase_orders, po_lines, "po_id", suppliers, "supplier_id", "expected_date", "received_qty", OPEN_PO)
_OUTBOUND_FLOW = _Flow(sales_orders, so_lines, "so_id", customers, "customer_id", "promised_date", "shipped_qty", OPEN_SO)


async def _overdue_with_creators(
    conn: AsyncConnection, flow: _Flow, today: date, limit: int | None
) -> list[tuple[OverdueOrder, int]]:
    """Each overdue order with who raised it (the overdue job tells them)."""
    o, ln, due, done = flow.order.c, flow.lines.c, flow.order.c[flow.due], flow.lines.c[flow.done]
    code = flow.partner.c.code
    query = (
        select(o.number, code, o.status, due.label("due"), as_qty(func.sum(ln.qty - done)).label("open"), o.created_by)
        .join(flow.partner, flow.partner.c.id == o[flow.partner_fk])
        .join(flow.lines, ln[flow.fk] == o.id)
        .where(o.status.in_(flow.states), due < today, ln.qty > done)
        .group_by(o.id, o.number, code, o.status, due, o.created_by)
        .order_by(due, o.number)
        .limit(limit)
    )
    rows = (await conn.execute(query)).all()
    return [(OverdueOrder(r.number, r.code, r.status, r.due, (today - r.due).days, r.open), r.created_by) for r in rows]


async def _overdue(conn: AsyncConnection, flow: _Flow, today: date, limit: int | None) -> list[OverdueOrder]:
    return [order for order, _ in await _overdue_with_creators(conn, flow, today, limit)]


async def overdue_with_creators(conn: AsyncConnection, today: date, *, inbound: bool) -> list[tuple[OverdueOrder, int]]:
    """overdue_pos (inbound) or overdue_sos, each order with who raised it."""
    return await _overdue_with_creators(conn, _INBOUND_FLOW if inbound else _OUTBOUND_FLOW, today, None)


async def overdue_pos(conn: AsyncConnection, today: date, limit: int | None = None) -> list[OverdueOrder]:
    """Approved or partially received POs with something left to receive, expected before
    `today` (the company's local date); the most overdue first."""
    return await _overdue(conn, _INBOUND_FLOW, today, limit)


async def overdue_sos(conn: AsyncConnection, today: date, limit: int | None = None) -> list[OverdueOrder]:
    """Confirmed or partially shipped SOs with something left to ship, promised before
    `today`; the most overdue first."""
    return await _overdue(conn, _OUTBOUND_FLOW, today, limit)


# --- history ----------------------------------------------------------------------------------


async def history(conn: AsyncConnection, ref: str, limit: int = 50) -> History | None:
    """The timeline of a PO or SO (its audit rows) or of a SKU (its audit rows and every ledger
    move of the item), the newest `limit` entries, oldest first. None when nothing has that ref."""
    ref = ref.strip()
    number = ref.upper()
    for kind, table in (("po", purchase_orders), ("so", sales_orders)):
        if await conn.scalar(select(table.c.id).where(table.c.number == number)) is not None:
            entries = await _audit(conn, number, limit + 1, (kind,))
            return _history(kind, number, entries, limit)
    item = (await conn.execute(select(items.c.id, items.c.sku).where(items.c.sku_key == ref.lower()))).first()
    if item is None:
        return None
    m = stock_moves.c
    moves = (
        await conn.execute(
            select(m.id, m.at, m.actor_id, m.source, m.kind, m.ref, m.qty, warehouses.c.code)
            .join(warehouses, warehouses.c.id == m.warehouse_id)
            .where(m.item_id == item.id)
            .order_by(m.at.desc(), m.id.desc())
            .limit(limit + 1)
        )
    ).all()
    entries = await _audit(conn, item.sku, limit + 1, ("item", "master"))
    # An adjustment is one line: its event (with the reason) shows the move's quantity, and the
    # move itself, committed at the same instant, is not listed again.
    adjusted = {e.at for _, e in entries if e.action == "StockAdjusted"}
    entries = [
        (key, replace(e, qty=Decimal(e.details["delta"]), warehouse=e.details.get("warehouse")))
        if e.action == "StockAdjusted" and "delta" in e.details
        else (key, e)
        for key, e in entries
    ]
    entries += [
        ((r.at, 0, r.id), HistoryEntry(r.at, r.actor_id, r.source, r.kind, r.ref, {}, r.qty, r.code))
        for r in moves
        if not (r.kind == "adjustment" and r.at in adjusted)
    ]
    return _history("item", item.sku, entries, limit)


_Keyed = list[tuple[tuple[datetime, int, int], HistoryEntry]]


async def _audit(conn: AsyncConnection, ref: str, limit: int, entities: tuple[str, ...]) -> _Keyed:
    a = audit_log.c
    rows = (
        await conn.execute(
            select(a.id, a.at, a.actor_id, a.source, a.action, a.ref, a.details)
            .where(a.ref == ref, a.entity.in_(entities))
            .order_by(a.at.desc(), a.id.desc())
            .limit(limit)
        )
    ).all()
    # A move and the event announcing it share an instant: the move sorts first.
    return [((r.at, 1, r.id), HistoryEntry(r.at, r.actor_id, r.source, r.action, r.ref, r.details)) for r in rows]


def _history(kind: str, ref: str, entries: _Keyed, limit: int) -> History:
    entries.sort(key=lambda e: e[0])
    kept = entries[-limit:] if limit > 0 else []
    return History(kind, ref, tuple(e for _, e in kept), len(entries) > len(kept))


# --- lists ------------------------------------------------------------------------------------


def _statuses(status: str | Collection[str] | None) -> list[str] | None:
    if status is None:
        return None
    return [status] if isinstance(status, str) else sorted(status)


async def _order_page(
    conn: AsyncConnection,
    head: Table,
    lines: Table,
    parent: str,
    partner: Table,
    partner_fk: str,
    due: str,
    done: str,
    *,
    status: str | Collection[str] | None,
    created_by: int | None,
    page: int,
    page_size: int,
) -> Page[OrderSummary]:
    h, ln = head.c, lines.c
    where: list[ColumnElement[bool]] = []
    wanted = _statuses(status)
    if wanted is not None:
        where.append(h.status.in_(wanted))
    if created_by is not None:
        where.append(h.created_by == created_by)
    total = int(await conn.scalar(select(func.count()).select_from(head).where(*where)) or 0)
    page, page_size = max(page, 0), max(page_size, 1)
    headers: Select[Any] = (
        select(h.id, h.number, partner.c.code, h.status, h.created_by, h.created_at, h[due], h.currency)
        .join(partner, partner.c.id == h[partner_fk])
        .where(*where)
        .order_by(h.id.desc())
        .limit(page_size)
        .offset(page * page_size)
    )
    rows = (await conn.execute(headers)).all()
    if not rows:
        return Page((), total, page, page_size)
    # Money is rounded per line the way the domain rounds it, so the totals are computed from
    # this page's lines (one query, at most page_size orders) rather than summed in SQL.
    line_rows = (
        await conn.execute(
            select(ln[parent], ln.qty, ln.unit_price, ln[done]).where(ln[parent].in_([r.id for r in rows])).order_by(ln.id)
        )
    ).all()
    by_order: dict[int, list[Any]] = {}
    for lr in line_rows:
        by_order.setdefault(lr[0], []).append(lr)
    out = []
    for r in rows:
        mine = by_order.get(r.id, [])
        total_money = round_money(sum((line_total(x.qty, x.unit_price, r.currency) for x in mine), ZERO), r.currency)
        open_qty = sum((max(x.qty - x[3], ZERO) for x in mine), ZERO)
        out.append(
            OrderSummary(
                r.number, r.code, r.status, r.created_by, r.created_at, r[6], len(mine), open_qty, total_money, r.currency
            )
        )
    return Page(tuple(out), total, page, page_size)


async def po_list(
    conn: AsyncConnection,
    status: str | Collection[str] | None = None,
    created_by: int | None = None,
    page: int = 0,
    page_size: int = 10,
) -> Page[OrderSummary]:
    """Purchase orders, newest first, optionally of some statuses and/or by one creator."""
    return await _order_page(
        conn,
        purchase_orders,
        po_lines,
        "po_id",
        suppliers,
        "supplier_id",
        "expected_date",
        "received_qty",
        status=status,
        created_by=created_by,
        page=page,
        page_size=page_size,
    )


async def so_list(
    conn: AsyncConnection,
    status: str | Collection[str] | None = None,
    created_by: int | None = None,
    page: int = 0,
    page_size: int = 10,
) -> Page[OrderSummary]:
    """Sales orders, newest first, optionally of some statuses and/or by one creator."""
    return await _order_page(
        conn,
        sales_orders,
        so_lines,
        "so_id",
        customers,
        "customer_id",
        "promised_date",
        "shipped_qty",
        status=status,
        created_by=created_by,
        page=page,
        page_size=page_size,
    )
