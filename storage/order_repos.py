"""Purchase and sales order repositories. Loading for change locks the header row; saving
checks the version it loaded, so a lost update is impossible even without the lock."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, Update, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import ConcurrencyConflict, NotFound
from domain.events import Event
from domain.master import Role
from domain.purchasing import Decision, POLine, POStatus, PurchaseOrder
from domain.sales import SalesOrder, Shipment, SOLine, SOStatus
from storage.statuses import OPEN_SO
from storage.tables import (
    customers,
    items,
    po_decisions,
    po_lines,
    purchase_orders,
    sales_orders,
    shipment_lines,
    shipments,
    so_lines,
    suppliers,
    warehouses,
)

Collect = Callable[[list[Event]], None]


def _ref_clause(table: Table, ref: str | int) -> ColumnElement[bool]:
    if isinstance(ref, int):
        return table.c.id == ref
    return table.c.number == ref.strip().upper()


def _new_id(result: Any) -> int:
    return int(result.inserted_primary_key[0])


@cache
def _by_id(table: Table) -> Update:
    """UPDATE of one row; the columns set are the parameters given (one compiled form per set)."""
    return update(table).where(table.c.id == bindparam("_id"))


@cache
def _by_version(table: Table) -> Update:
    """UPDATE of one row if it is still at the version loaded."""
    return update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_version"))


Stored = dict[int, tuple[Any, ...]]  # line id -> the line's values as last loaded or written


def _line_state(lines: Sequence[Any], fields: list[str]) -> Stored:
    return {ln.id: tuple(getattr(ln, f) for f in fields) for ln in lines if ln.id is not None}


async def _sync_lines(
    conn: AsyncConnection,
    table: Table,
    parent: str,
    parent_id: int,
    lines: Sequence[Any],
    fields: list[str],
    stored: Stored | None = None,
) -> Stored:
    """Delete removed lines, update changed ones, insert new ones; returns what is now stored.

    With `stored` (what this repository loaded or wrote in this transaction), unchanged lines
    are not written again. That is safe: lines only change through their order's save, which
    first bumps the header's version (a conflict if someone else saved meanwhile), and the
    header row is locked from loading on. Without it, every line is rewritten.
    """
    kept = [ln.id for ln in lines if ln.id is not None]
    if stored is None or set(stored) - set(kept):
        await conn.execute(delete(table).where(table.c[parent] == parent_id, table.c.id.not_in(kept)))
    for ln in lines:
        values = {f: getattr(ln, f) for f in fields}
        if ln.id is None:
            ln.id = _new_id(await conn.execute(insert(table).values(**values, **{parent: parent_id})))
        elif stored is None or stored.get(ln.id) != tuple(values.values()):
            await conn.execute(_by_id(table), {**values, "_id": ln.id})
    return _line_state(lines, fields)


async def _bump_version(conn: AsyncConnection, table: Table, agg: Any, values: dict[str, Any]) -> None:
    result = await conn.execute(
        _by_version(table), {**values, "version": agg.version + 1, "_id": agg.id, "_version": agg.version}
    )
    if result.rowcount != 1:
        raise ConcurrencyConflict(f"{agg.number} changed meanwhile")
    agg.version += 1


_PO_LINE_FIELDS = ["line_no", "item_id", "qty", "unit_price", "received_qty"]
_SO_LINE_FIELDS = ["line_no", "item_id", "qty", "unit_price", "reserved_qty", "shipped_qty"]


class SqlPurchaseOrders:
    def __init__(self, conn: AsyncConnection, collect: Collect, *, lock: bool = True) -> None:
        self.conn, self.collect, self.lock = conn, collect, lock
        self._stored: dict[int, Stored] = {}

    async def get(self, ref: str | int) -> PurchaseOrder:
        by = "id" if isinstance(ref, int) else "number"
        key = ref if isinstance(ref, int) else ref.strip().upper()
        if self.lock and self.conn.dialect.name != "sqlite":
            # After waiting for a lock PostgreSQL re-reads only the locked row: the lines must be
            # read by a statement that starts once the lock is held, or they may be a commit old.
            # SQLite's writers take turns (BEGIN IMMEDIATE): one statement is enough there.
            await self.conn.execute(_PO_LOCK[by], {"ref": key})
        rows = (await self.conn.execute(_PO_WITH_LINES[by], {"ref": key})).all()
        if not rows:
            raise NotFound("po", ref)
        h = rows[0]._mapping
        lines = [r for r in rows if r.line_id is not None]
        decisions = (await self.conn.execute(_PO_DECISIONS, {"order": h["id"]})).all()
        po = PurchaseOrder(
            id=h["id"],
            number=h["number"],
            supplier_id=h["supplier_id"],
            supplier_code=h["supplier_code"],
            currency=h["currency"],
            warehouse_id=h["warehouse_id"],
            created_by=h["created_by"],
            created_at=h["created_at"],
            expected_date=h["expected_date"],
            status=POStatus(h["status"]),
            lines=[
                POLine(r.line_line_no, r.line_item_id, r.sku, r.line_qty, r.line_unit_price, r.line_received_qty, r.line_id)
                for r in lines
            ],
            decisions=[Decision(d.user_id, d.approve, d.at, d.round, d.reason, d.id) for d in decisions],
            approval_round=h["approval_round"],
            approvals_needed=h["approvals_needed"],
            approver_roles=frozenset(Role(r) for r in h["approver_roles"].split(",") if r),
            submitted_at=h["submitted_at"],
            approved_at=h["approved_at"],
            first_receipt_at=h["first_receipt_at"],
            note=h["note"],
            version=h["version"],
        )
        self._stored[h["id"]] = _line_state(po.lines, _PO_LINE_FIELDS)
        return po

    def _header(self, po: PurchaseOrder) -> dict[str, Any]:
        return {
            "status": po.status.value,
            "expected_date": po.expected_date,
            "approval_round": po.approval_round,
            "approvals_needed": po.approvals_needed,
            "approver_roles": ",".join(sorted(po.approver_roles)),
            "submitted_at": po.submitted_at,
            "approved_at": po.approved_at,
            "first_receipt_at": po.first_receipt_at,
            "note": po.note,
        }

    async def add(self, po: PurchaseOrder) -> None:
        values = {
            **self._header(po),
            "number": po.number,
            "supplier_id": po.supplier_id,
            "currency": po.currency,
            "warehouse_id": po.warehouse_id,
            "created_by": po.created_by,
            "created_at": po.created_at,
            "version": 0,
        }
        po.id = (await self.conn.execute(insert(purchase_orders).values(**values))).inserted_primary_key[0]  # type: ignore[index]
        self._stored[po.id] = {}
        await self._children(po)

    async def save(self, po: PurchaseOrder) -> None:
        await _bump_version(self.conn, purchase_orders, po, self._header(po))
        await self._children(po)

    async def _children(self, po: PurchaseOrder) -> None:
        assert po.id is not None
        self._stored[po.id] = await _sync_lines(
            self.conn, po_lines, "po_id", po.id, po.lines, _PO_LINE_FIELDS, self._stored.get(po.id)
        )
        for d in po.decisions:
            if d.id is None:
                row = {
                    "po_id": po.id,
                    "round": d.round,
                    "user_id": d.user_id,
                    "approve": d.approve,
                    "at": d.at,
                    "reason": d.reason,
                }
                d.id = _new_id(await self.conn.execute(insert(po_decisions).values(**row)))
        self.collect(po.events)
        po.events = []

    async def draft_for_supplier(self, supplier_id: int) -> PurchaseOrder | None:
        # The supplier row is the lock for "its one draft": two suggestions at once must not both
        # find none and open two drafts (PostgreSQL; on SQLite the single writer already queues them).
        await self.conn.execute(select(suppliers.c.id).where(suppliers.c.id == supplier_id).with_for_update())
        p = purchase_orders.c
        po_id = await self.conn.scalar(
            select(p.id).where(p.supplier_id == supplier_id, p.status == POStatus.DRAFT.value).order_by(p.id).limit(1)
        )
        if po_id is None:
            return None
        po = await self.get(int(po_id))
        # Submitted by someone between the lookup and the lock: that one is no draft any more.
        return po if po.status == POStatus.DRAFT else await self.draft_for_supplier(supplier_id)


class SqlSalesOrders:
    def __init__(self, conn: AsyncConnection, collect: Collect, *, lock: bool = True) -> None:
        self.conn, self.collect, self.lock = conn, collect, lock
        self._stored: dict[int, Stored] = {}

    async def get(self, ref: str | int) -> SalesOrder:
        s = sales_orders.c
        query = (
            select(sales_orders, customers.c.code.label("customer_code"), warehouses.c.code.label("warehouse_code"))
            .join(customers, customers.c.id == s.customer_id)
            .join(warehouses, warehouses.c.id == s.warehouse_id)
            .where(_ref_clause(sales_orders, ref))
        )
        head = (await self.conn.execute(query.with_for_update(of=sales_orders) if self.lock else query)).first()
        if head is None:
            raise NotFound("so", ref)
        h = head._mapping
        lines = (await self.conn.execute(_SO_LINES, {"order": h["id"]})).all()
        ships = (
            await self.conn.execute(select(shipments).where(shipments.c.so_id == h["id"]).order_by(shipments.c.shipment_no))
        ).all()
        ship_lines: dict[int, list[tuple[int, str, Any]]] = {}
        if ships:
            rows = (
                await self.conn.execute(
                    select(shipment_lines, items.c.sku)
                    .join(items, items.c.id == shipment_lines.c.item_id)
                    .where(shipment_lines.c.shipment_id.in_([sh.id for sh in ships]))
                    .order_by(shipment_lines.c.id)
                )
            ).all()
            for r in rows:
                ship_lines.setdefault(r.shipment_id, []).append((r.item_id, r.sku, r.qty))
        so = SalesOrder(
            id=h["id"],
            number=h["number"],
            customer_id=h["customer_id"],
            customer_code=h["customer_code"],
            currency=h["currency"],
            warehouse_id=h["warehouse_id"],
            warehouse_code=h["warehouse_code"],
            created_by=h["created_by"],
            created_at=h["created_at"],
            promised_date=h["promised_date"],
            status=SOStatus(h["status"]),
            lines=[SOLine(r.line_no, r.item_id, r.sku, r.qty, r.unit_price, r.reserved_qty, r.shipped_qty, r.id) for r in lines],
            shipments=[
                Shipment(sh.shipment_no, sh.at, sh.by, sh.carrier, sh.tracking, tuple(ship_lines.get(sh.id, [])), sh.id)
                for sh in ships
            ],
            confirmed_at=h["confirmed_at"],
            note=h["note"],
            version=h["version"],
        )
        self._stored[h["id"]] = _line_state(so.lines, _SO_LINE_FIELDS)
        return so

    def _header(self, so: SalesOrder) -> dict[str, Any]:
        return {"status": so.status.value, "promised_date": so.promised_date, "confirmed_at": so.confirmed_at, "note": so.note}

    async def add(self, so: SalesOrder) -> None:
        values = {
            **self._header(so),
            "number": so.number,
            "customer_id": so.customer_id,
            "currency": so.currency,
            "warehouse_id": so.warehouse_id,
            "created_by": so.created_by,
            "created_at": so.created_at,
            "version": 0,
        }
        so.id = (await self.conn.execute(insert(sales_orders).values(**values))).inserted_primary_key[0]  # type: ignore[index]
        self._stored[so.id] = {}
        await self._children(so)

    async def save(self, so: SalesOrder) -> None:
        await _bump_version(self.conn, sales_orders, so, self._header(so))
        await self._children(so)

    async def _children(self, so: SalesOrder) -> None:
        assert so.id is not None
        self._stored[so.id] = await _sync_lines(
            self.conn, so_lines, "so_id", so.id, so.lines, _SO_LINE_FIELDS, self._stored.get(so.id)
        )
        for sh in so.shipments:
            if sh.id is None:
                head = {
                    "so_id": so.id,
                    "shipment_no": sh.shipment_no,
                    "at": sh.at,
                    "by": sh.by,
                    "carrier": sh.carrier,
                    "tracking": sh.tracking,
                }
                sh.id = _new_id(await self.conn.execute(insert(shipments).values(**head)))
                await self.conn.execute(
                    insert(shipment_lines), [{"shipment_id": sh.id, "item_id": i, "qty": q} for i, _, q in sh.lines]
                )
        self.collect(so.events)
        so.events = []

    async def waiting_for(self, item_ids: Collection[int], warehouse_id: int) -> dict[int, list[SalesOrder]]:
        rows = (await self.conn.execute(_WAITING, {"items": list(item_ids), "warehouse": warehouse_id})).all()
        waiting: dict[int, list[SalesOrder]] = {item_id: [] for item_id in item_ids}
        loaded: dict[int, SalesOrder] = {}
        for row in rows:  # in one global order (promised date, id), so concurrent receipts lock alike
            if row.id not in loaded:
                loaded[row.id] = await self.get(int(row.id))
            waiting[row.item_id].append(loaded[row.id])
        return waiting


def _waiting_query() -> Select[int, int, date | None, bool]:
    s, ln = sales_orders.c, so_lines.c
    return (
        select(s.id, ln.item_id, s.promised_date, s.promised_date.is_(None).label("undated"))
        .join(so_lines, ln.so_id == s.id)
        .where(
            ln.item_id.in_(bindparam("items", expanding=True)),
            s.warehouse_id == bindparam("warehouse"),
            s.status.in_(OPEN_SO),
            ln.qty > ln.shipped_qty + ln.reserved_qty,
        )
        .distinct()
        .order_by("undated", s.promised_date, s.id)
    )


_WAITING = _waiting_query()  # built once: receiving asks for every item it receives
# Loading an order: built once, as every use case on an order starts here.


def _po_with_lines(by: str) -> Select[Any]:
    """The header with its lines in one statement (a row per line; one row with empty line
    columns for an order without lines): every approval, receipt and edit starts here."""
    p, ln = purchase_orders.c, po_lines.c
    return (
        select(
            purchase_orders,
            suppliers.c.code.label("supplier_code"),
            *(ln[name].label(f"line_{name}") for name in ("id", "line_no", "item_id", "qty", "unit_price", "received_qty")),
            items.c.sku,
        )
        .join(suppliers, suppliers.c.id == p.supplier_id)
        .outerjoin(po_lines, ln.po_id == p.id)
        .outerjoin(items, items.c.id == ln.item_id)
        .where(p[by] == bindparam("ref"))
        .order_by(ln.line_no)
    )


_PO_WITH_LINES = {by: _po_with_lines(by) for by in ("id", "number")}
_PO_LOCK = {
    by: select(purchase_orders.c.id).where(purchase_orders.c[by] == bindparam("ref")).with_for_update() for by in ("id", "number")
}
_PO_DECISIONS = select(po_decisions).where(po_decisions.c.po_id == bindparam("order")).order_by(po_decisions.c.id)
_SO_LINES = (
    select(so_lines, items.c.sku)
    .join(items, items.c.id == so_lines.c.item_id)
    .where(so_lines.c.so_id == bindparam("order"))
    .order_by(so_lines.c.line_no)
)
