"""A large, consistent synthetic company built with bulk Core inserts: `caixiao seed --scale N`
and the benchmarks (`bench/`) both use it.

Suppliers, customers, staff, N items (70 % with a reorder point, some of them low), a year of
ledger moves over two warehouses, purchase and sales orders in every state. Rows are generated
deterministically in Python and inserted in chunks (executemany) through lightweight table
clauses whose quantity and money columns are plain integers, so values are written already
scaled (×1000, ×10^4) without per-value Decimal conversion. Balances are the ledger's sums and
reservations are the open sales order lines' reservations, so `storage.checks.ledger_drift`
finds nothing. Everything is written in one transaction into a database without master data
or orders (`occupied` says what is in the way); ids are given explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import tables
from storage.database import Database
from storage.types import Money, Qty
from storage.upsert import insert_ignore

Progress = Callable[[str, int, int], None]  # (stage, rows done, rows in the stage)
STAGES = ("master", "ledger", "orders", "balances")
MIN_ITEMS = 10

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
# The benchmark's fixed moment (reproducible runs); `caixiao seed --scale` uses the real clock.
TODAY = date(2026, 11, 23)  # the business date the overdue queries are asked about
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 that day in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
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
    def scaled(cls, items: int, moves: int | None = None) -> Spec:
        """N items; by default ten ledger moves per item over the year, an order per 5 items."""
        return cls(items=items, moves=items * 10 if moves is None else moves, pos=max(items // 5, 10), sos=max(items // 5, 10))


@dataclass(slots=True)
class Dataset:
    spec: Spec
    now: datetime = NOW
    today: date = TODAY
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


async def insert_rows(
    conn: AsyncConnection, table: sa.Table, rows: Iterable[dict[str, Any]], tick: Callable[[int], None] | None = None
) -> int:
    statement = sa.insert(raw(table))
    n = 0
    for chunk in _chunks(rows):
        await conn.execute(statement, chunk)
        n += len(chunk)
        if tick is not None:
            tick(n)
    return n


_CHECKED = (tables.items, tables.suppliers, tables.customers, tables.purchase_orders, tables.sales_orders, tables.stock_moves)


async def occupied(conn: AsyncConnection) -> list[str]:
    """The tables already holding rows that a synthetic dataset would collide with."""
    found = []
    for table in _CHECKED:
        if await conn.scalar(sa.select(sa.literal(1)).select_from(table).limit(1)) is not None:
            found.append(table.name)
    return found


def _quiet(stage: str, done: int, total: int) -> None:
    pass


async def build(db: Database, spec: Spec, progress: Progress = _quiet, *, now: datetime = NOW, tz: tzinfo = SHANGHAI) -> Dataset:
    """Write the dataset in one transaction; `now` is the moment its story ends (today's date in
    `tz` is what orders are due around). Refuses (ValueError) when `occupied` finds anything."""
    if spec.items < MIN_ITEMS:
        raise ValueError(f"a synthetic dataset needs at least {MIN_ITEMS} items")
    data = Dataset(spec, now=now, today=now.astimezone(tz).date())
    async with db.write_engine.begin() as conn:
        taken = await occupied(conn)
        if taken:
            raise ValueError(f"the database already holds {', '.join(taken)}")
        await _build(conn, db, data, progress)
    data.next_item_id = spec.items + 1
    return data


async def _build(conn: AsyncConnection, db: Database, data: Dataset, progress: Progress) -> None:
    spec = data.spec
    await _master(conn, data, progress)
    on_hand = [0] * (spec.items * spec.warehouses)
    data.counts["stock_moves"] = await _ledger(conn, data, on_hand, progress)
    reserved = [0] * len(on_hand)
    data.counts["purchase_orders"] = await _purchase_orders(conn, data)
    progress("orders", spec.pos, spec.pos + spec.sos)
    data.counts["sales_orders"] = await _sales_orders(conn, data, on_hand, reserved)
    progress("orders", spec.pos + spec.sos, spec.pos + spec.sos)
    await _sequences(conn, data)
    wh = data.warehouse_ids
    data.counts["stock_balances"] = await insert_rows(
        conn,
        tables.stock_balances,
        (
            {"item_id": g // len(wh) + 1, "warehouse_id": wh[g % len(wh)], "on_hand": on_hand[g], "reserved": reserved[g]}
            for g in range(len(on_hand))
        ),
    )
    data.counts["warehouses"] = len(wh)
    if not db.is_sqlite:
        await _advance_sequences(conn)
        # What autovacuum does shortly after a bulk load. SQLite gets no ANALYZE: the
        # application never runs one, so its plans are judged without statistics.
        await conn.exec_driver_sql("ANALYZE")
    progress("balances", data.counts["stock_balances"], len(on_hand))


async def _master(conn: AsyncConnection, data: Dataset, progress: Progress) -> None:
    spec = data.spec
    # Staff ids 1..6; an admin already registered under one of them keeps their own record.
    await conn.execute(
        insert_ignore(conn, tables.users, ["id"]),
        [{"id": i, "name": n, "language": "en", "roles": r, "active": True} for i, n, r in USERS],
    )
    w = tables.warehouses.c
    main = await conn.scalar(sa.select(w.id).where(w.code == "MAIN"))
    data.warehouse_ids = [int(main or 1)]
    for k in range(2, spec.warehouses + 1):
        found = await conn.scalar(sa.select(w.id).where(w.code == f"WH{k}"))
        if found is None:
            result = await conn.execute(sa.insert(tables.warehouses).values(code=f"WH{k}", name=f"Warehouse {k}"))
            found = result.inserted_primary_key[0]  # type: ignore[index]
        data.warehouse_ids.append(int(found))
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
    data.counts["suppliers"], data.counts["customers"] = spec.suppliers, spec.customers
    data.counts["items"] = await insert_rows(
        conn, tables.items, (_item(i, spec) for i in range(1, spec.items + 1)), lambda n: progress("master", n, spec.items)
    )


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
    start = data.now - timedelta(days=365)
    step = timedelta(days=365) / max(spec.moves, 1)
    last_year = data.today.year - 1

    def rows() -> Iterator[dict[str, Any]]:
        for k in range(spec.moves):
            g, j = k % groups, k // groups
            if j % 2 == 0:
                qty, kind, ref = ((g * 31 + j * 17) % 40 + 10) * UNIT, "receipt", f"PO-{last_year}-{(g + j) % 99_999 + 1:05d}"
            else:
                qty, kind, ref = -((g * 13 + j * 7) % 10 + 1) * UNIT, "shipment", f"SO-{last_year}-{(g * 3 + j) % 99_999 + 1:05d}"
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
        progress("ledger", n, spec.moves)
    return n


def _line_item(order: int, line: int, spec: Spec) -> int:
    return (order * 7919 + line * (spec.items // spec.lines + 1)) % spec.items + 1


_PO_STATUSES = ["draft", "pending_approval"] + ["approved"] * 3 + ["partially_received"] * 2 + ["received"] * 2 + ["closed"]
_SO_STATUSES = ["draft"] + ["confirmed"] * 4 + ["partially_shipped"] * 2 + ["shipped"] * 2 + ["cancelled"]


async def _purchase_orders(conn: AsyncConnection, data: Dataset) -> int:
    spec, now, today = data.spec, data.now, data.today
    heads, lines = [], []
    for p in range(1, spec.pos + 1):
        status = _PO_STATUSES[p % len(_PO_STATUSES)]
        decided = status not in ("draft", "pending_approval")
        heads.append(
            {
                "id": p,
                "number": f"PO-{today.year}-{p:05d}",
                "supplier_id": p % spec.suppliers + 1,
                "currency": "CNY",
                "warehouse_id": data.warehouse_ids[0],
                "status": status,
                "created_by": BUYER if p % 3 else ADMIN,
                "created_at": now - timedelta(days=60) + timedelta(minutes=p % 40_000),
                "expected_date": today + timedelta(days=(p * 13) % 60 - 30),
                "approval_round": 0 if status == "draft" else 1,
                "approvals_needed": 1,
                "approver_roles": "admin,manager",
                "submitted_at": None if status == "draft" else now - timedelta(days=50),
                "approved_at": now - timedelta(days=45) if decided else None,
                "first_receipt_at": now - timedelta(days=10) if status in ("partially_received", "received", "closed") else None,
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
    spec, wh, now, today = data.spec, data.warehouse_ids, data.now, data.today
    heads, lines = [], []
    for s in range(1, spec.sos + 1):
        status = _SO_STATUSES[s % len(_SO_STATUSES)]
        w = s % len(wh)
        heads.append(
            {
                "id": s,
                "number": f"SO-{today.year}-{s:05d}",
                "customer_id": s % spec.customers + 1,
                "currency": "CNY",
                "warehouse_id": wh[w],
                "status": status,
                "created_by": SALES if s % 4 else MANAGER,
                "created_at": now - timedelta(days=40) + timedelta(minutes=s % 40_000),
                "promised_date": today + timedelta(days=(s * 17) % 40 - 20),
                "confirmed_at": None if status == "draft" else now - timedelta(days=30),
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


async def _sequences(conn: AsyncConnection, data: Dataset) -> None:
    """Order numbers continue after the dataset's own (PO-YYYY-NNNNN, SO-YYYY-NNNNN)."""
    year = data.today.year
    seq = tables.sequences
    for name, value in ((f"PO-{year}", data.spec.pos), (f"SO-{year}", data.spec.sos)):
        await conn.execute(insert_ignore(conn, seq, ["name"]).values(name=name, value=0))
        await conn.execute(sa.update(seq).where(seq.c.name == name, seq.c.value < value).values(value=value))
