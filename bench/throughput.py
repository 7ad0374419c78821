"""Write throughput: each operation through the Bus against the same transaction by hand.

The floor is what a careful programmer would write with SQLAlchemy Core and nothing else, doing
the same job with the same guarantees: check the actor's role, lock the order row, guard every
balance change with a conditional UPDATE (checking rowcount), append the ledger rows, update
the lines and the header (with its version check), look for waiting backorders (receive) and for
items crossing below their reorder point (ship), and write the audit and outbox rows — all in
one transaction. It skips only what the layering costs: loading whole aggregates, per-item
repository calls, rewriting unchanged rows.

Each side works on its own fixture orders (same shape: three lines), one operation per
transaction, sequentially; the two sides run in alternating blocks so that drift (caches,
file growth) hits both alike.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from domain import commands as c
from domain.services.base import Env
from domain.services.bus import Bus
from storage.database import Database
from storage.synthetic import BUYER, MANAGER, NOW, TODAY, UNIT, WAREHOUSE, Dataset, insert_rows
from storage.tables import (
    audit_log,
    items,
    outbox,
    po_decisions,
    po_lines,
    purchase_orders,
    sales_orders,
    shipment_lines,
    shipments,
    so_lines,
    stock_balances,
    stock_moves,
    users,
)
from storage.types import Qty
from storage.uow import SqlUnitOfWorkFactory
from storage.upsert import insert_ignore

OPS = ("approve", "receive", "ship")
LINES = 3
SIDES = ("bus", "floor")
_OPEN_INBOUND = ("approved", "partially_received")
_OPEN_OUTBOUND = ("confirmed", "partially_shipped")


class FixedClock:
    def now(self) -> datetime:
        return NOW


@dataclass(frozen=True, slots=True)
class Result:
    op: str
    n: int
    bus_ops_per_s: float  # over all timed blocks
    floor_ops_per_s: float
    ratio: float  # median over adjacent (bus, floor) block pairs: robust to load from elsewhere
    ratio_min: float
    ratio_max: float


# --- fixtures ---------------------------------------------------------------------------------


async def _next_id(conn: AsyncConnection, table: sa.Table) -> int:
    return int(await conn.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))) or 0) + 1


async def _resync(conn: AsyncConnection, *names: str) -> None:
    if conn.dialect.name == "postgresql":
        for name in names:
            await conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")


async def prepare(db: Database, data: Dataset, per_side: int) -> dict[tuple[str, str], list[str]]:
    """Orders for each (op, side): pending POs to approve, approved POs to receive, confirmed
    and fully reserved SOs to ship. Their items are dedicated, well stocked and high above
    their reorder points, so nothing else (backorders, low-stock alerts) is triggered."""
    numbers: dict[tuple[str, str], list[str]] = {}
    async with db.write_engine.begin() as conn:
        wh = data.warehouse_ids[0]
        first = await _next_id(conn, items)
        n_items = max(per_side, 10)
        stock = 1_000_000 * UNIT
        await insert_rows(
            conn,
            items,
            (
                {
                    "id": first + k,
                    "sku": f"TP{k:05d}",
                    "sku_key": f"tp{k:05d}",
                    "name": f"Throughput item {k}",
                    "unit": "pcs",
                    "reorder_point": 10 * UNIT,
                    "reorder_qty": 20 * UNIT,
                    "pack_size": UNIT,
                    "lead_time_days": 3,
                    "default_supplier_id": 1,
                    "active": True,
                    "version": 0,
                }
                for k in range(n_items)
            ),
        )
        reserved = [0] * n_items
        await insert_rows(
            conn,
            stock_moves,
            (
                {
                    "item_id": first + k,
                    "warehouse_id": wh,
                    "qty": stock,
                    "kind": "adjustment",
                    "ref": "ADJ-2026-00001",
                    "actor_id": WAREHOUSE,
                    "source": "import",
                    "at": NOW - timedelta(days=1),
                }
                for k in range(n_items)
            ),
        )

        def item_for(order: int, line: int) -> int:
            return (order * LINES + line) % n_items

        po_id, so_id = await _next_id(conn, purchase_orders), await _next_id(conn, sales_orders)
        po_heads, po_rows, so_heads, so_rows = [], [], [], []
        for side in SIDES:
            for op in ("approve", "receive"):
                numbers[(op, side)] = []
                for i in range(per_side):
                    number = f"PO-T{op[0].upper()}-{side[0].upper()}{i:05d}"
                    numbers[(op, side)].append(number)
                    pending = op == "approve"
                    po_heads.append(
                        {
                            "id": po_id,
                            "number": number,
                            "supplier_id": 1,
                            "currency": "CNY",
                            "warehouse_id": wh,
                            "status": "pending_approval" if pending else "approved",
                            "created_by": BUYER,
                            "created_at": NOW - timedelta(days=2),
                            "expected_date": TODAY + timedelta(days=10),
                            "approval_round": 1,
                            "approvals_needed": 1,
                            "approver_roles": "admin,manager",
                            "submitted_at": NOW - timedelta(days=2),
                            "approved_at": None if pending else NOW - timedelta(days=1),
                            "version": 1,
                        }
                    )
                    for ln in range(LINES):
                        po_rows.append(
                            {
                                "po_id": po_id,
                                "line_no": ln + 1,
                                "item_id": first + item_for(i, ln),
                                "qty": 10 * UNIT,
                                "unit_price": 10_000,
                                "received_qty": 0,
                            }
                        )
                    po_id += 1
            numbers[("ship", side)] = []
            for i in range(per_side):
                number = f"SO-TS-{side[0].upper()}{i:05d}"
                numbers[("ship", side)].append(number)
                so_heads.append(
                    {
                        "id": so_id,
                        "number": number,
                        "customer_id": 1,
                        "currency": "CNY",
                        "warehouse_id": wh,
                        "status": "confirmed",
                        "created_by": BUYER,
                        "created_at": NOW - timedelta(days=2),
                        "promised_date": TODAY + timedelta(days=5),
                        "confirmed_at": NOW - timedelta(days=2),
                        "version": 1,
                    }
                )
                for ln in range(LINES):
                    k = item_for(i, ln)
                    reserved[k] += 2 * UNIT
                    so_rows.append(
                        {
                            "so_id": so_id,
                            "line_no": ln + 1,
                            "item_id": first + k,
                            "qty": 2 * UNIT,
                            "unit_price": 20_000,
                            "reserved_qty": 2 * UNIT,
                            "shipped_qty": 0,
                        }
                    )
                so_id += 1
        await insert_rows(conn, purchase_orders, po_heads)
        await insert_rows(conn, po_lines, po_rows)
        await insert_rows(conn, sales_orders, so_heads)
        await insert_rows(conn, so_lines, so_rows)
        await insert_rows(
            conn,
            stock_balances,
            ({"item_id": first + k, "warehouse_id": wh, "on_hand": stock, "reserved": reserved[k]} for k in range(n_items)),
        )
        await _resync(conn, "items", "purchase_orders", "sales_orders")
    return numbers


# --- the floor: each transaction by hand ------------------------------------------------------


class FloorError(Exception):
    pass


# Every statement is built once with bind parameters, as a careful hand-written hot path would;
# storage builds its hot statements once too, so the comparison is about the layering alone.
_p, _d, _pl, _s, _sl, _b, _i = (
    purchase_orders.c,
    po_decisions.c,
    po_lines.c,
    sales_orders.c,
    so_lines.c,
    stock_balances.c,
    items.c,
)
_Q = sa.bindparam("q", type_=Qty())
_R = sa.bindparam("r", type_=Qty())
_ROLES = sa.select(users.c.roles, users.c.active).where(users.c.id == sa.bindparam("actor"))
_PO_HEAD = (
    sa.select(_p.id, _p.status, _p.warehouse_id, _p.created_by, _p.first_receipt_at, _p.version)
    .add_columns(_p.approval_round, _p.approvals_needed, _p.approver_roles)
    .where(_p.number == sa.bindparam("number"))
    .with_for_update()
)
_APPROVALS = sa.select(_d.user_id).where(_d.po_id == sa.bindparam("po"), _d.round == sa.bindparam("round"), _d.approve.is_(True))
_DECIDE = sa.insert(po_decisions)
_PO_BUMP = (
    sa.update(purchase_orders)
    .where(_p.id == sa.bindparam("_id"), _p.version == sa.bindparam("_version"))
    .values(version=_p.version + 1)
)
_PO_LINES = (
    sa.select(_pl.id, _pl.item_id, _pl.qty, _pl.received_qty, _i.sku)
    .join(items, _i.id == _pl.item_id)
    .where(_pl.po_id == sa.bindparam("po"))
    .order_by(_pl.line_no)
)
_WAITING = (
    sa.select(sa.func.count())
    .select_from(so_lines)
    .join(sales_orders, _s.id == _sl.so_id)
    .where(
        _sl.item_id.in_(sa.bindparam("items", expanding=True)),
        _s.warehouse_id == sa.bindparam("warehouse"),
        _s.status.in_(_OPEN_OUTBOUND),
        _sl.qty > _sl.shipped_qty + _sl.reserved_qty,
    )
)
_RECEIVE_BALANCE = (
    sa.update(stock_balances)
    .where(_b.item_id == sa.bindparam("item"), _b.warehouse_id == sa.bindparam("warehouse"))
    .values(on_hand=_b.on_hand + _Q)
)
_NEW_BALANCE = sa.insert(stock_balances)
_MOVES = sa.insert(stock_moves)
_RECEIVE_LINE = (
    sa.update(po_lines)
    .where(_pl.id == sa.bindparam("line"), _pl.received_qty + _Q <= _pl.qty)
    .values(received_qty=_pl.received_qty + _Q)
)
_SO_HEAD = sa.select(_s.id, _s.status, _s.warehouse_id, _s.version).where(_s.number == sa.bindparam("number")).with_for_update()
_SO_LINES = (
    sa.select(_sl.id, _sl.item_id, _sl.qty, _sl.reserved_qty, _sl.shipped_qty, _i.sku)
    .join(items, _i.id == _sl.item_id)
    .where(_sl.so_id == sa.bindparam("so"))
    .order_by(_sl.line_no)
)
_SHIP_BALANCE = (
    sa.update(stock_balances)
    .where(
        _b.item_id == sa.bindparam("item"),
        _b.warehouse_id == sa.bindparam("warehouse"),
        _b.on_hand - _Q >= _b.reserved - _R,
        _b.reserved - _R >= 0,
    )
    .values(on_hand=_b.on_hand - _Q, reserved=_b.reserved - _R)
)
_SHIP_LINE = (
    sa.update(so_lines)
    .where(_sl.id == sa.bindparam("line"))
    .values(shipped_qty=_sl.shipped_qty + _Q, reserved_qty=_sl.reserved_qty - _R)
)
_LAST_SHIPMENT = sa.select(sa.func.coalesce(sa.func.max(shipments.c.shipment_no), 0)).where(
    shipments.c.so_id == sa.bindparam("so")
)
_SHIPMENT = sa.insert(shipments)
_SHIPMENT_LINES = sa.insert(shipment_lines)
_SO_BUMP = (
    sa.update(sales_orders)
    .where(_s.id == sa.bindparam("_id"), _s.version == sa.bindparam("_version"))
    .values(version=_s.version + 1)
)
_AUDIT = sa.insert(audit_log)
_PROJECTED = sa.select(
    _i.id,
    _i.sku,
    _i.name,
    _i.active,
    _i.reorder_point,
    sa.type_coerce(
        sa.func.coalesce(sa.select(sa.func.sum(_b.on_hand - _b.reserved)).where(_b.item_id == _i.id).scalar_subquery(), 0)
        + sa.func.coalesce(
            sa.select(sa.func.sum(_pl.qty - _pl.received_qty))
            .join(purchase_orders, _p.id == _pl.po_id)
            .where(_pl.item_id == _i.id, _p.status.in_(_OPEN_INBOUND), _pl.qty > _pl.received_qty)
            .scalar_subquery(),
            0,
        ),
        Qty,
    ).label("projected"),
).where(_i.id.in_(sa.bindparam("items", expanding=True)))


def _payload(ref: str, actor_id: int, **fields: Any) -> dict[str, Any]:
    return {"at": NOW.isoformat(), "actor_id": actor_id, "source": "chat", "ref": ref, **fields}


async def _announce(
    conn: AsyncConnection, entity: str, ref: str, actor_id: int, events: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    await conn.execute(
        _AUDIT,
        [
            {"at": NOW, "actor_id": actor_id, "source": "chat", "entity": entity, "ref": ref, "action": name, "details": payload}
            for name, payload in events
        ],
    )
    await conn.execute(
        insert_ignore(conn, outbox, ["dedup_key"]),
        [
            {
                "kind": name,
                "dedup_key": None,
                "payload": payload,
                "created_at": NOW,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": NOW,
            }
            for name, payload in events
        ],
    )


async def _roles(conn: AsyncConnection, actor_id: int) -> set[str]:
    row = (await conn.execute(_ROLES, {"actor": actor_id})).one()
    return set(row.roles.split(",")) if row.active else set()


async def _bump(conn: AsyncConnection, statement: sa.Update, row: Any, number: str, **values: Any) -> None:
    result = await conn.execute(statement, {"_id": row.id, "_version": row.version, **values})
    if result.rowcount != 1:
        raise FloorError(f"{number} changed meanwhile")


async def floor_approve(db: Database, number: str, actor_id: int) -> None:
    async with db.write_engine.begin() as conn:
        roles = await _roles(conn, actor_id)
        po = (await conn.execute(_PO_HEAD, {"number": number})).one()
        if po.status != "pending_approval" or not roles & set(po.approver_roles.split(",")) or po.created_by == actor_id:
            raise FloorError(f"{number}: may not approve")
        given = (await conn.execute(_APPROVALS, {"po": po.id, "round": po.approval_round})).scalars().all()
        if actor_id in given:
            raise FloorError(f"{number}: already approved by {actor_id}")
        decision = {"po_id": po.id, "round": po.approval_round, "user_id": actor_id, "approve": True, "at": NOW, "reason": None}
        await conn.execute(_DECIDE, decision)
        done = len(given) + 1 >= po.approvals_needed
        if done:
            await _bump(conn, _PO_BUMP, po, number, status="approved", approved_at=NOW)
            event = ("PurchaseOrderApproved", _payload(number, actor_id, automatic=False, created_by=po.created_by))
        else:
            await _bump(conn, _PO_BUMP, po, number)
            event = (
                "PurchaseOrderApprovalGiven",
                _payload(number, actor_id, approvals=len(given) + 1, approvals_needed=po.approvals_needed),
            )
        await _announce(conn, "po", number, actor_id, [event])


async def floor_receive(db: Database, number: str, actor_id: int) -> None:
    """Receive everything still open on the PO."""
    async with db.write_engine.begin() as conn:
        if not await _roles(conn, actor_id) & {"admin", "manager", "warehouse"}:
            raise FloorError("may not receive")
        po = (await conn.execute(_PO_HEAD, {"number": number})).one()
        if po.status not in _OPEN_INBOUND:
            raise FloorError(f"{number} is {po.status}")
        lines = (await conn.execute(_PO_LINES, {"po": po.id})).all()
        todo = [(r, r.qty - r.received_qty) for r in lines if r.qty > r.received_qty]
        if not todo:
            raise FloorError(f"{number}: nothing to receive")
        wh = po.warehouse_id
        if await conn.scalar(_WAITING, {"items": [r.item_id for r, _ in todo], "warehouse": wh}):
            raise FloorError("the floor does not model backorders; the fixtures have none")
        for r, qty in sorted(todo, key=lambda t: t[0].item_id):
            result = await conn.execute(_RECEIVE_BALANCE, {"item": r.item_id, "warehouse": wh, "q": qty})
            if result.rowcount != 1:
                await conn.execute(_NEW_BALANCE, {"item_id": r.item_id, "warehouse_id": wh, "on_hand": qty, "reserved": 0})
        moves = [
            {
                "item_id": r.item_id,
                "warehouse_id": wh,
                "qty": qty,
                "kind": "receipt",
                "ref": number,
                "actor_id": actor_id,
                "source": "chat",
                "at": NOW,
            }
            for r, qty in todo
        ]
        await conn.execute(_MOVES, moves)
        for r, qty in todo:
            if (await conn.execute(_RECEIVE_LINE, {"line": r.id, "q": qty})).rowcount != 1:
                raise FloorError(f"{number}: over-receipt")
        await _bump(conn, _PO_BUMP, po, number, status="received", first_receipt_at=po.first_receipt_at or NOW)
        received = [[r.sku, str(qty)] for r, qty in todo]
        event = ("GoodsReceived", _payload(number, actor_id, lines=received, complete=True, created_by=po.created_by))
        await _announce(conn, "po", number, actor_id, [event])


async def floor_ship(db: Database, number: str, actor_id: int) -> None:
    """Ship everything reserved on the SO, judging low stock for the items it took."""
    async with db.write_engine.begin() as conn:
        if not await _roles(conn, actor_id) & {"admin", "manager", "warehouse"}:
            raise FloorError("may not ship")
        so = (await conn.execute(_SO_HEAD, {"number": number})).one()
        if so.status not in _OPEN_OUTBOUND:
            raise FloorError(f"{number} is {so.status}")
        lines = (await conn.execute(_SO_LINES, {"so": so.id})).all()
        todo = [(r, r.reserved_qty) for r in lines if r.reserved_qty > 0]
        if not todo:
            raise FloorError(f"{number}: nothing reserved")
        wh = so.warehouse_id
        for r, qty in sorted(todo, key=lambda t: t[0].item_id):
            result = await conn.execute(_SHIP_BALANCE, {"item": r.item_id, "warehouse": wh, "q": qty, "r": qty})
            if result.rowcount != 1:
                raise FloorError(f"{number}: short of {r.sku}")
        moves = [
            {
                "item_id": r.item_id,
                "warehouse_id": wh,
                "qty": -qty,
                "kind": "shipment",
                "ref": number,
                "actor_id": actor_id,
                "source": "chat",
                "at": NOW,
            }
            for r, qty in todo
        ]
        await conn.execute(_MOVES, moves)
        for r, qty in todo:
            await conn.execute(_SHIP_LINE, {"line": r.id, "q": qty, "r": qty})
        shipment_no = int(await conn.scalar(_LAST_SHIPMENT, {"so": so.id}) or 0) + 1
        head = {"so_id": so.id, "shipment_no": shipment_no, "at": NOW, "by": actor_id, "carrier": None, "tracking": None}
        shipment_id = int((await conn.execute(_SHIPMENT, head)).inserted_primary_key[0])  # type: ignore[index]
        await conn.execute(_SHIPMENT_LINES, [{"shipment_id": shipment_id, "item_id": r.item_id, "qty": q} for r, q in todo])
        complete = all(r.shipped_qty + q >= r.qty for r, q in todo) and len(todo) == len(lines)
        await _bump(conn, _SO_BUMP, so, number, status="shipped" if complete else "partially_shipped")
        shipped = [[r.sku, str(q)] for r, q in todo]
        payload = _payload(
            number, actor_id, shipment_id=shipment_no, lines=shipped, complete=complete, carrier=None, tracking=None
        )
        events = [("SalesOrderShipped", payload)]
        # Shipping reserved stock leaves available (and projected) unchanged: judge only drops.
        drops = {r.item_id: q - min(q, r.reserved_qty) for r, q in todo if q > r.reserved_qty}
        if drops:
            events += await _crossings(conn, actor_id, drops)
        await _announce(conn, "so", number, actor_id, events)


async def _crossings(conn: AsyncConnection, actor_id: int, drops: dict[int, Decimal]) -> list[tuple[str, dict[str, Any]]]:
    """One query: each item's projected quantity now; low now and not before = crossed."""
    out = []
    for r in (await conn.execute(_PROJECTED, {"items": list(drops)})).all():

        def low(value: Decimal, r: Any = r) -> bool:
            return bool(r.active and r.reorder_point > 0 and value < r.reorder_point)

        if low(r.projected) and not low(r.projected + drops[r.id]):
            fields = {"item_id": r.id, "item_name": r.name, "projected": str(r.projected)}
            out.append(("StockFellBelowReorderPoint", _payload(r.sku, actor_id, **fields)))
    return out


# --- the runs ---------------------------------------------------------------------------------


def bus_for(db: Database) -> Bus:
    return Bus(SqlUnitOfWorkFactory(db), Env(clock=FixedClock()))


def _bus_op(bus: Bus, op: str) -> Callable[[str], Awaitable[Any]]:
    if op == "approve":
        return lambda n: bus.handle(c.ApprovePurchaseOrder(actor_id=MANAGER, po=n))
    if op == "receive":
        return lambda n: bus.handle(c.ReceiveGoods(actor_id=WAREHOUSE, po=n))
    return lambda n: bus.handle(c.ShipSalesOrder(actor_id=WAREHOUSE, so=n))


def _floor_op(db: Database, op: str) -> Callable[[str], Awaitable[Any]]:
    actor = MANAGER if op == "approve" else WAREHOUSE
    fn = {"approve": floor_approve, "receive": floor_receive, "ship": floor_ship}[op]
    return lambda n: fn(db, n, actor)


async def _timed(fn: Callable[[str], Awaitable[Any]], numbers: Sequence[str]) -> float:
    start = time.perf_counter()
    for number in numbers:
        await fn(number)
    return time.perf_counter() - start


async def run(
    db: Database, numbers: dict[tuple[str, str], list[str]], *, warmup: int, block: int, progress: Callable[[str], None]
) -> list[Result]:
    """Per operation: warm both sides up, then alternate blocks of `block` operations."""
    bus = bus_for(db)
    results = []
    for op in OPS:
        sides = {"bus": _bus_op(bus, op), "floor": _floor_op(db, op)}
        for side, fn in sides.items():
            await _timed(fn, numbers[(op, side)][:warmup])
        todo = {side: numbers[(op, side)][warmup:] for side in SIDES}
        n = len(todo["bus"])
        spent: dict[str, list[float]] = {"bus": [], "floor": []}
        for k, start in enumerate(range(0, n, block)):
            for side in SIDES if k % 2 == 0 else SIDES[::-1]:
                spent[side].append(await _timed(sides[side], todo[side][start : start + block]))
        # Same block sizes on both sides, so a time ratio is the inverse throughput ratio.
        pairs = [f / b for b, f in zip(spent["bus"], spent["floor"], strict=True)]
        result = Result(op, n, n / sum(spent["bus"]), n / sum(spent["floor"]), statistics.median(pairs), min(pairs), max(pairs))
        progress(
            f"{op:8s} bus {result.bus_ops_per_s:5.0f} ops/s  floor {result.floor_ops_per_s:5.0f} ops/s  "
            f"ratio {result.ratio:.2f} (blocks {result.ratio_min:.2f}..{result.ratio_max:.2f})"
        )
        results.append(result)
    return results


async def same_outcome(db: Database, numbers: dict[tuple[str, str], list[str]]) -> list[str]:
    """What each side wrote, compared: statuses, ledger rows and audit rows per order, and one
    outbox row per audit row (every event involved is one people are told about)."""
    problems = []
    async with db.reading() as conn:
        for op in OPS:
            seen = {}
            for side in SIDES:
                refs = numbers[(op, side)]
                head = sales_orders if op == "ship" else purchase_orders
                statuses = sorted(set((await conn.execute(sa.select(head.c.status).where(head.c.number.in_(refs)))).scalars()))
                moves = await conn.scalar(sa.select(sa.func.count()).select_from(stock_moves).where(stock_moves.c.ref.in_(refs)))
                audits = (
                    await conn.execute(
                        sa.select(audit_log.c.action, sa.func.count())
                        .where(audit_log.c.ref.in_(refs))
                        .group_by(audit_log.c.action)
                        .order_by(audit_log.c.action)
                    )
                ).all()
                seen[side] = (statuses, moves, [tuple(a) for a in audits])
            if seen["bus"] != seen["floor"]:
                problems.append(f"{op}: bus wrote {seen['bus']}, floor wrote {seen['floor']}")
        n_audit = await conn.scalar(sa.select(sa.func.count()).select_from(audit_log))
        n_outbox = await conn.scalar(sa.select(sa.func.count()).select_from(outbox))
        if n_audit != n_outbox:
            problems.append(f"{n_audit} audit rows but {n_outbox} outbox rows")
    return problems
