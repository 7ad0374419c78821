"""A large, consistent company built with bulk Core inserts: items, a long ledger, orders.

Rows are generated deterministically in Python and inserted in chunks (executemany) through
lightweight table clauses whose quantity and money columns are plain integers, so values are
written already scaled (×1000, ×10^4) without per-value Decimal conversion. Balances are the
ledger's sums and reservations are the open sales order lines' reservations, so
`storage.checks.ledger_drift` finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import tables
from storage.database import Database
from storage.types import Money, Qty

Progress = Callable[[str], None]

UNIT = 1000  # one unit of quantity, scaled
ADMIN, MANAGER, MANAGER2, BUYER, WAREHOUSE, SALES = 1, 2, 3, 4, 5, 6
USERS = [
    (ADMIN, "Ada", "admin"),
    (MANAGER, "Mia", "manager"),
    (MANAGER2, "Max", "manager"),
    (BUYER, "Bo", "buyer"),
    (WAREHOUSE, "Wen", "warehouse"),
    (SALES, "Sam", "sales"),
]
TODAY = date(2026, 11, 23)  # the business date the overdue queries are asked about
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 that day in Shanghai
_WORDS = ["bolt", "nut", "washer", "screw", "hinge", "bracket", "cable", "valve", "pipe", "gasket", "垫圈", "螺丝"]
_CHUNK = 20_000


@dataclass(frozen=True, slots=True)
class Spec:
    items: int = 100_000
    moves: int = 1_000_000
    warehouses: int = 2
    suppliers: int = 50
    customers: int = 200
    pos: int = 20_000
    sos: int = 20_000
    lines: int = 3

    @classmethod
    def scaled(cls, items: int, moves: int) -> Spec:
        return cls(items=items, moves=moves, pos=max(items // 5, 10), sos=max(items // 5, 10))


@dataclass(slots=True)
class Dataset:
    spec: Spec
    warehouse_ids: list[int] = field(default_factory=list)
    next_item_id: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def raw(table: sa.Table) -> sa.TableClause:
    """The table with scaled columns as plain integers: values go in as stored."""

    def plain(col: sa.Column[Any]) -> Any:
        return sa.BigInteger() if isinstance(col.type, Qty | Money) else col.type

    return sa.table(table.name, *[sa.column(c.name, plain(c)) for c in table.columns])


def _chunks(rows: Iterable[dict[str, Any]], size: int = _CHUNK) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def insert_rows(conn: AsyncConnection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
    statement = sa.insert(raw(table))
    n = 0
    for chunk in _chunks(rows):
        await conn.execute(statement, chunk)
        n += len(chunk)
    return n


async def build(db: Database, spec: Spec, progress: Progress) -> Dataset:
    data = Dataset(spec)
    async with db.write_engine.begin() as conn:
        await _master(conn, data)
    progress(f"master data: {spec.items:,} items, {spec.suppliers} suppliers, {spec.customers} customers")
    on_hand = [0] * (spec.items * spec.warehouses)
    async with db.write_engine.begin() as conn:
        n = await _ledger(conn, data, on_hand, progress)
    data.counts["stock_moves"] = n
    reserved = [0] * len(on_hand)
    async with db.write_engine.begin() as conn:
        data.counts["purchase_orders"] = await _purchase_orders(conn, data)
        data.counts["sales_orders"] = await _sales_orders(conn, data, on_hand, reserved)
    progress(f"orders: {spec.pos:,} POs and {spec.sos:,} SOs of {spec.lines} lines")
    async with db.write_engine.begin() as conn:
        wh = data.warehouse_ids
        data.counts["stock_balances"] = await insert_rows(
            conn,
            tables.stock_balances,
            (
                {"item_id": g // len(wh) + 1, "warehouse_id": wh[g % len(wh)], "on_hand": on_hand[g], "reserved": reserved[g]}
                for g in range(len(on_hand))
            ),
        )
        if not db.is_sqlite:
            await _advance_sequences(conn)
            # What autovacuum does shortly after a bulk load. SQLite gets no ANALYZE: the
            # application never runs one, so its plans are judged without statistics.
            await conn.exec_driver_sql("ANALYZE")
    progress(f"balances: {data.counts['stock_balances']:,} rows, equal to the ledger's sums")
    data.next_item_id = spec.items + 1
    return data


async def _master(conn: AsyncConnection, data: Dataset) -> None:
    spec = data.spec
    await insert_rows(
        conn, tables.users, ({"id": i, "name": n, "language": "en", "roles": r, "active": True} for i, n, r in USERS)
    )
    main = await conn.scalar(sa.select(tables.warehouses.c.id).where(tables.warehouses.c.code == "MAIN"))
    data.warehouse_ids = [int(main or 1)]
    for k in range(2, spec.warehouses + 1):
        result = await conn.execute(sa.insert(tables.warehouses).values(code=f"WH{k}", name=f"Warehouse {k}"))
        data.warehouse_ids.append(int(result.inserted_primary_key[0]))  # type: ignore[index]
    partner = {"phone": None, "email": None, "chat": None, "currency": "CNY", "payment_terms": None, "active": True}
    await insert_rows(
        conn,
        tables.suppliers,
        (
            {"id": s, "code": f"SUP{s:03d}", "code_key": f"sup{s:03d}", "name": f"Supplier {s}", "lead_time_days": 7, **partner}
            for s in range(1, spec.suppliers + 1)
        ),
    )
    await insert_rows(
        conn,
        tables.customers,
        (
            {"id": c, "code": f"CUS{c:04d}", "code_key": f"cus{c:04d}", "name": f"Customer {c}", **partner}
            for c in range(1, spec.customers + 1)
        ),
    )
    await insert_rows(conn, tables.items, (_item(i, spec) for i in range(1, spec.items + 1)))


def _item(i: int, spec: Spec) -> dict[str, Any]:
    # 70 % of items have a reorder point; every 25th has one above its usual stock (so is low).
    rp = 0 if i % 10 >= 7 else ((i * 37) % 50 + 5) * UNIT
    if i % 25 == 0:
        rp = 500 * UNIT
    word = _WORDS[i % len(_WORDS)]
    return {
        "id": i,
        "sku": f"SKU{i:06d}",
        "sku_key": f"sku{i:06d}",
        "name": f"{word.title()} {i % 997} mm",
        "unit": "pcs",
        "barcode": None,
        "category": word,
        "reorder_point": rp,
        "reorder_qty": rp * 2 if rp else None,
        "max_qty": rp * 4 if rp and i % 4 == 0 else None,
        "pack_size": 6 * UNIT if i % 5 == 0 else UNIT,
        "lead_time_days": 7,
        "default_supplier_id": i % spec.suppliers + 1,
        "std_cost": (i % 500 + 1) * 100,  # money ×10^4: 0.01 .. 5.00
        "last_cost": None,
        "active": i % 97 != 0,
        "version": 0,
    }


async def _ledger(conn: AsyncConnection, data: Dataset, on_hand: list[int], progress: Progress) -> int:
    """Moves cycle over every (item, warehouse): receipts on even rounds, smaller shipments on
    odd ones, so no balance ever goes below zero at any point of the history."""
    spec, wh = data.spec, data.warehouse_ids
    groups = spec.items * len(wh)
    start = NOW - timedelta(days=365)
    step = timedelta(days=365) / max(spec.moves, 1)

    def rows() -> Iterator[dict[str, Any]]:
        for k in range(spec.moves):
            g, j = k % groups, k // groups
            if j % 2 == 0:
                qty, kind, ref = ((g * 31 + j * 17) % 40 + 10) * UNIT, "receipt", f"PO-2025-{(g + j) % 99_999 + 1:05d}"
            else:
                qty, kind, ref = -((g * 13 + j * 7) % 10 + 1) * UNIT, "shipment", f"SO-2025-{(g * 3 + j) % 99_999 + 1:05d}"
            on_hand[g] += qty
            yield {
                "item_id": g // len(wh) + 1,
                "warehouse_id": wh[g % len(wh)],
                "qty": qty,
                "kind": kind,
                "ref": ref,
                "actor_id": WAREHOUSE,
                "source": "chat",
                "at": start + step * k,
            }

    statement = sa.insert(raw(tables.stock_moves))
    n = 0
    for chunk in _chunks(rows(), 50_000):
        await conn.execute(statement, chunk)
        n += len(chunk)
        if n % 200_000 == 0 or n == spec.moves:
            progress(f"ledger: {n:,} / {spec.moves:,} moves")
    return n


def _line_item(order: int, line: int, spec: Spec) -> int:
    return (order * 7919 + line * (spec.items // spec.lines + 1)) % spec.items + 1


_PO_STATUSES = ["draft", "pending_approval"] + ["approved"] * 3 + ["partially_received"] * 2 + ["received"] * 2 + ["closed"]
_SO_STATUSES = ["draft"] + ["confirmed"] * 4 + ["partially_shipped"] * 2 + ["shipped"] * 2 + ["cancelled"]


async def _purchase_orders(conn: AsyncConnection, data: Dataset) -> int:
    spec = data.spec
    heads, lines = [], []
    for p in range(1, spec.pos + 1):
        status = _PO_STATUSES[p % len(_PO_STATUSES)]
        decided = status not in ("draft", "pending_approval")
        heads.append(
            {
                "id": p,
                "number": f"PO-2026-{p:05d}",
                "supplier_id": p % spec.suppliers + 1,
                "currency": "CNY",
                "warehouse_id": data.warehouse_ids[0],
                "status": status,
                "created_by": BUYER if p % 3 else ADMIN,
                "created_at": NOW - timedelta(days=60, minutes=-p),
                "expected_date": TODAY + timedelta(days=(p * 13) % 60 - 30),
                "approval_round": 0 if status == "draft" else 1,
                "approvals_needed": 1,
                "approver_roles": "admin,manager",
                "submitted_at": None if status == "draft" else NOW - timedelta(days=50),
                "approved_at": NOW - timedelta(days=45) if decided else None,
                "first_receipt_at": NOW - timedelta(days=10) if status in ("partially_received", "received", "closed") else None,
                "note": None,
                "version": 2,
            }
        )
        for ln in range(1, spec.lines + 1):
            qty = ((p + ln) % 10 + 1) * 10 * UNIT
            received = {"partially_received": qty // 2 if ln == 1 else 0, "received": qty, "closed": qty}.get(status, 0)
            lines.append(
                {
                    "po_id": p,
                    "line_no": ln,
                    "item_id": _line_item(p, ln, spec),
                    "qty": qty,
                    "unit_price": ((p * ln) % 400 + 1) * 500,
                    "received_qty": received,
                }
            )
    await insert_rows(conn, tables.purchase_orders, heads)
    await insert_rows(conn, tables.po_lines, lines)
    return len(heads)


async def _sales_orders(conn: AsyncConnection, data: Dataset, on_hand: list[int], reserved: list[int]) -> int:
    spec, wh = data.spec, data.warehouse_ids
    heads, lines = [], []
    for s in range(1, spec.sos + 1):
        status = _SO_STATUSES[s % len(_SO_STATUSES)]
        w = s % len(wh)
        heads.append(
            {
                "id": s,
                "number": f"SO-2026-{s:05d}",
                "customer_id": s % spec.customers + 1,
                "currency": "CNY",
                "warehouse_id": wh[w],
                "status": status,
                "created_by": SALES if s % 4 else MANAGER,
                "created_at": NOW - timedelta(days=40, minutes=-s),
                "promised_date": TODAY + timedelta(days=(s * 17) % 40 - 20),
                "confirmed_at": None if status == "draft" else NOW - timedelta(days=30),
                "note": None,
                "version": 1,
            }
        )
        for ln in range(1, spec.lines + 1):
            item = _line_item(s * 3 + 1, ln, spec)
            qty = ((s + ln) % 5 + 1) * UNIT
            shipped = {"partially_shipped": UNIT if ln == 1 else 0, "shipped": qty}.get(status, 0)
            held = 0
            if status in ("confirmed", "partially_shipped"):
                g = (item - 1) * len(wh) + w
                held = max(min(qty - shipped, on_hand[g] - reserved[g]), 0)
                reserved[g] += held
            lines.append(
                {
                    "so_id": s,
                    "line_no": ln,
                    "item_id": item,
                    "qty": qty,
                    "unit_price": ((s * ln) % 300 + 1) * 1000,
                    "reserved_qty": held,
                    "shipped_qty": shipped,
                }
            )
    await insert_rows(conn, tables.sales_orders, heads)
    await insert_rows(conn, tables.so_lines, lines)
    return len(heads)


async def _advance_sequences(conn: AsyncConnection) -> None:
    """PostgreSQL: rows inserted with explicit ids leave the serial sequences behind."""
    for table in ("items", "suppliers", "customers", "purchase_orders", "sales_orders"):
        await conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
