"""The daily digest's read side: every figure of domain.digest.Digest from one read snapshot.

Sums, counts and groupings run in SQL over indexed columns (the ledger through `at`, orders
through their status indexes); Python shapes the few resulting rows and applies the KPI rules
of domain.digest. The costly parts on a big company are the per-item passes (low stock, stock
outs, inventory value), each one statement.

Inventory value is summed exactly in SQL over scaled integers (quantity ×10³ × cost ×10⁴), so on
SQLite it is bounded by 64-bit integers: about 900 billion in currency units, beyond which
SQLite reports an integer overflow rather than a wrong figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Table, and_, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.digest import (
    AGE_LIMITS,
    WINDOW_DAYS,
    CriticalItem,
    Digest,
    Kpis,
    Listing,
    Movement,
    MovementTotals,
    OrderCounts,
    PendingApproval,
    Rate,
    critical_order,
    cycle_time,
    on_time,
)
from domain.purchasing import POStatus
from domain.sales import SOStatus
from domain.stock import MoveKind
from domain.values import line_total, local_date, round_money
from storage import views
from storage.chunks import slices
from storage.statuses import OPEN_PO, OPEN_SO
from storage.stock import available
from storage.tables import (
    customers,
    items,
    po_decisions,
    po_lines,
    purchase_orders,
    sales_orders,
    so_lines,
    stock_balances,
    stock_moves,
    suppliers,
)
from storage.types import as_qty

ZERO = Decimal(0)
SHOWN = 30  # rows per list section; the rest is counted ("… and N more")
_IN_CHUNK = 5_000  # ids per IN (...) list: well under SQLite's and asyncpg's bind parameter limits
# POs that went through an approval (and so had an expected date to keep).
_APPROVED_ONCE = sorted(s.value for s in (POStatus.APPROVED, POStatus.PARTIAL, POStatus.RECEIVED, POStatus.CLOSED))
_SO_SOLD = sorted(s.value for s in (SOStatus.CONFIRMED, SOStatus.PARTIAL, SOStatus.SHIPPED))


def local_day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of a company-local day, in UTC."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


async def load_digest(conn: AsyncConnection, day: date, now: datetime, tz: tzinfo, currency: str, shown: int = SHOWN) -> Digest:
    """Everything the digest for `day` (company-local) says, read at `now`. Use a connection
    from `Database.reading()` so every figure comes from the same snapshot."""
    receipts, receipt_totals = await _movements(conn, day, tz, MoveKind.RECEIPT, shown)
    shipments, shipment_totals = await _movements(conn, day, tz, MoveKind.SHIPMENT, shown)
    approvals, ages = await _pending(conn, now, shown)
    overdue_in = await _overdue(conn, day, shown, inbound=True)
    overdue_out = await _overdue(conn, day, shown, inbound=False)
    low = await low_stock_by_cover(conn, now)
    value, unvalued = await inventory_value(conn, currency)
    kpis = Kpis(
        pos=await _counts(conn, purchase_orders, OPEN_PO, POStatus.PENDING.value, overdue_in.total),
        sos=await _counts(conn, sales_orders, OPEN_SO, SOStatus.DRAFT.value, overdue_out.total),
        submit_to_approve=cycle_time(await _submit_to_approve(conn, now)),
        approve_to_receipt=cycle_time(await _approve_to_receipt(conn, now)),
        on_time=await supplier_on_time(conn, day, tz),
        fill=await fill_rate(conn, day),
        stock_outs=await stock_outs(conn),
        inventory_value=value,
        unvalued_items=unvalued,
    )
    return Digest(
        day=day,
        now=now,
        currency=currency,
        receipts=receipts,
        receipt_totals=receipt_totals,
        shipments=shipments,
        shipment_totals=shipment_totals,
        approvals=approvals,
        approval_ages=ages,
        overdue_in=overdue_in,
        overdue_out=overdue_out,
        low_stock=Listing(tuple(low[:shown]), len(low)),
        kpis=kpis,
    )


# --- today ------------------------------------------------------------------------------------


async def _movements(
    conn: AsyncConnection, day: date, tz: tzinfo, kind: MoveKind, shown: int
) -> tuple[Listing[Movement], MovementTotals]:
    """The day's ledger rows of one kind, per document, in the order they first moved."""
    m = stock_moves.c
    start, end = local_day_bounds(day, tz)
    query = (
        select(m.ref, func.count().label("lines"), as_qty(func.sum(m.qty)).label("qty"), func.min(m.at).label("first"))
        .where(m.at >= start, m.at < end, m.kind == kind.value)
        .group_by(m.ref)
    )
    rows = sorted((await conn.execute(query)).all(), key=lambda r: (r.first, r.ref))
    totals = MovementTotals(len(rows), sum(r.lines for r in rows), sum((abs(r.qty) for r in rows), ZERO))
    head = rows[:shown]
    order, partner = (purchase_orders, suppliers) if kind == MoveKind.RECEIPT else (sales_orders, customers)
    fk = order.c.supplier_id if kind == MoveKind.RECEIPT else order.c.customer_id
    codes: dict[str, str] = {}
    if head:
        found = await conn.execute(
            select(order.c.number, partner.c.code)
            .join(partner, partner.c.id == fk)
            .where(order.c.number.in_([r.ref for r in head]))
        )
        codes = {r.number: r.code for r in found.all()}
    listed = tuple(Movement(r.ref, codes.get(r.ref), r.lines, abs(r.qty)) for r in head)
    return Listing(listed, len(rows)), totals


# --- waiting and late -------------------------------------------------------------------------


async def _pending(conn: AsyncConnection, now: datetime, shown: int) -> tuple[Listing[PendingApproval], tuple[int, ...]]:
    """POs waiting for approval, oldest submission first, and how many per age bucket."""
    p = purchase_orders.c
    pending = p.status == POStatus.PENDING.value
    # An age bucket is "submitted before now − limit": the cut-offs are bind parameters.
    older = [func.coalesce(func.sum(case((p.submitted_at <= now - limit, 1), else_=0)), 0) for limit in AGE_LIMITS]
    counts = (await conn.execute(select(func.count(), *older).where(pending))).one()
    total, at_least = int(counts[0]), [int(c) for c in counts[1:]]
    edges = [total, *at_least, 0]
    ages = tuple(edges[k] - edges[k + 1] for k in range(len(AGE_LIMITS) + 1))
    heads = (
        await conn.execute(
            select(
                p.id, p.number, suppliers.c.code, p.currency, p.submitted_at, p.created_at, p.approval_round, p.approvals_needed
            )
            .join(suppliers, suppliers.c.id == p.supplier_id)
            .where(pending)
            .order_by(p.submitted_at, p.id)
            .limit(shown)
        )
    ).all()
    if not heads:
        return Listing((), total), ages
    ids = [h.id for h in heads]
    lines: dict[int, list[Any]] = {}
    for ln in (
        await conn.execute(select(po_lines.c.po_id, po_lines.c.qty, po_lines.c.unit_price).where(po_lines.c.po_id.in_(ids)))
    ).all():
        lines.setdefault(ln.po_id, []).append(ln)
    d = po_decisions.c
    given: dict[tuple[int, int], int] = {
        (r.po_id, r.round): int(r.n)
        for r in (
            await conn.execute(
                select(d.po_id, d.round, func.count().label("n"))
                .where(d.po_id.in_(ids), d.approve.is_(True))
                .group_by(d.po_id, d.round)
            )
        ).all()
    }
    rows = tuple(
        PendingApproval(
            number=h.number,
            supplier=h.code,
            # Rounded per line the way the domain rounds a PO's total.
            total=round_money(sum((line_total(x.qty, x.unit_price, h.currency) for x in lines.get(h.id, [])), ZERO), h.currency),
            currency=h.currency,
            submitted_at=h.submitted_at or h.created_at,
            approvals=given.get((h.id, h.approval_round), 0),
            approvals_needed=h.approvals_needed,
        )
        for h in heads
    )
    return Listing(rows, total), ages


async def _overdue(conn: AsyncConnection, day: date, shown: int, *, inbound: bool) -> Listing[Any]:
    order, lines, fk, due, done, states = (
        (purchase_orders, po_lines, "po_id", "expected_date", "received_qty", OPEN_PO)
        if inbound
        else (sales_orders, so_lines, "so_id", "promised_date", "shipped_qty", OPEN_SO)
    )
    o, ln = order.c, lines.c
    still_open = select(ln[fk]).where(ln[fk] == o.id, ln.qty > ln[done]).exists()
    total = await conn.scalar(select(func.count()).where(o.status.in_(states), o[due] < day, still_open))
    rows = await (views.overdue_pos if inbound else views.overdue_sos)(conn, day, shown)
    return Listing(tuple(rows), int(total or 0))


# --- stock ------------------------------------------------------------------------------------


async def low_stock_by_cover(conn: AsyncConnection, now: datetime) -> list[CriticalItem]:
    """Every active item whose projected quantity is below its reorder point, with what it
    shipped over the window (for its days of cover), most critical first."""
    rows = (await conn.execute(views.low_stock_query())).all()
    shipped = await _shipped(conn, [r.id for r in rows], now)
    out = []
    for r in rows:
        suggested, demand = views.suggested(r), shipped.get(r.id, ZERO)
        out.append(
            CriticalItem(r.id, r.sku, r.name, r.unit, r.available, r.projected, r.reorder_point, suggested, r.supplier, demand)
        )
    out.sort(key=critical_order)
    return out


async def _shipped(conn: AsyncConnection, item_ids: list[int], now: datetime) -> dict[int, Decimal]:
    """Units each item shipped over the window. Asked for the low items only, through the
    ledger's (item, warehouse) index: the window's shipments of every item would be a
    month of the whole ledger."""
    m = stock_moves.c
    out: dict[int, Decimal] = {}
    for part in slices(item_ids, _IN_CHUNK):
        query = (
            select(m.item_id, as_qty(func.sum(-m.qty)).label("shipped"))
            .where(
                m.item_id.in_(part),
                m.at >= now - timedelta(days=WINDOW_DAYS),
                m.at < now,
                m.kind == MoveKind.SHIPMENT.value,
            )
            .group_by(m.item_id)
        )
        out.update({r.item_id: r.shipped for r in (await conn.execute(query)).all()})
    return out


async def stock_outs(conn: AsyncConnection) -> int:
    i = items.c
    query = select(func.count()).select_from(items).where(i.active.is_(True), i.reorder_point > 0, available() <= 0)
    return int(await conn.scalar(query) or 0)


async def inventory_value(conn: AsyncConnection, currency: str) -> tuple[Decimal, int]:
    """(Σ on hand × cost rounded to the currency, items holding stock without any cost)."""
    i, b = items.c, stock_balances.c
    cost = func.coalesce(i.std_cost, i.last_cost)
    # The raw scaled integers, multiplied: ×10³ × ×10⁴ = ×10⁷ (see storage.types).
    value = type_coerce(func.sum(type_coerce(b.on_hand, BigInteger) * type_coerce(cost, BigInteger)), BigInteger)
    unvalued = func.count(func.distinct(case((and_(cost.is_(None), b.on_hand > 0), b.item_id))))
    row = (await conn.execute(select(value, unvalued).select_from(stock_balances).join(items, i.id == b.item_id))).one()
    total = Decimal(row[0] or 0).scaleb(-7)
    return round_money(total, currency), int(row[1] or 0)


# --- KPIs ------------------------------------------------------------------------------------


async def _counts(conn: AsyncConnection, table: Table, open_states: Sequence[str], waiting: str, overdue: int) -> OrderCounts:
    """Open orders and those waiting (POs for approval, SOs as drafts); closed history is not read."""
    status = table.c.status
    rows = (await conn.execute(select(status, func.count()).where(status.in_([*open_states, waiting])).group_by(status))).all()
    by = {r[0]: int(r[1]) for r in rows}
    return OrderCounts(sum(by.get(x, 0) for x in open_states), by.get(waiting, 0), overdue)


async def _submit_to_approve(conn: AsyncConnection, now: datetime) -> list[timedelta]:
    p = purchase_orders.c
    rows = await conn.execute(
        select(p.submitted_at, p.approved_at).where(
            p.approved_at >= now - timedelta(days=WINDOW_DAYS),
            p.approved_at < now,
            p.submitted_at.is_not(None),
            p.approvals_needed > 0,
        )
    )
    return [r.approved_at - r.submitted_at for r in rows.all()]


async def _approve_to_receipt(conn: AsyncConnection, now: datetime) -> list[timedelta]:
    p = purchase_orders.c
    rows = await conn.execute(
        select(p.approved_at, p.first_receipt_at).where(
            p.first_receipt_at >= now - timedelta(days=WINDOW_DAYS), p.first_receipt_at < now, p.approved_at.is_not(None)
        )
    )
    return [r.first_receipt_at - r.approved_at for r in rows.all()]


async def supplier_on_time(conn: AsyncConnection, day: date, tz: tzinfo) -> Rate:
    p, ln, m = purchase_orders.c, po_lines.c, stock_moves.c
    due = (
        select(p.number, p.expected_date, func.sum(case((ln.received_qty < ln.qty, 1), else_=0)).label("short"))
        .join(po_lines, ln.po_id == p.id)
        .where(p.status.in_(_APPROVED_ONCE), p.expected_date >= day - timedelta(days=WINDOW_DAYS), p.expected_date < day)
        .group_by(p.id, p.number, p.expected_date)
        .subquery("due")
    )
    # When the goods came matters only for a PO received in full: its last receipt in the ledger.
    last_receipt = select(func.max(m.at)).where(m.ref == due.c.number, m.kind == MoveKind.RECEIPT.value).scalar_subquery()
    query = select(due.c.expected_date, due.c.short, case((due.c.short == 0, last_receipt)).label("last"))
    rows: Sequence[Any] = (await conn.execute(query)).all()
    hits = sum(on_time(r.short == 0, local_date(r.last, tz) if r.last else None, r.expected_date) for r in rows)
    return Rate(Decimal(hits), Decimal(len(rows)))


async def fill_rate(conn: AsyncConnection, day: date) -> Rate:
    s, ln = sales_orders.c, so_lines.c
    query = (
        select(as_qty(func.coalesce(func.sum(ln.shipped_qty), 0)), as_qty(func.coalesce(func.sum(ln.qty), 0)))
        .join(sales_orders, s.id == ln.so_id)
        .where(s.status.in_(_SO_SOLD), s.promised_date >= day - timedelta(days=WINDOW_DAYS), s.promised_date < day)
    )
    shipped, ordered = (await conn.execute(query)).one()
    return Rate(shipped, ordered)
