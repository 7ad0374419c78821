"""The ledger and balances. Never read, decide, write back: every change is a conditional
UPDATE whose WHERE clause is the invariant, and a zero rowcount means "not enough"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, Update, and_, bindparam, func, insert, select, tuple_, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.acts import Act
from domain.errors import InsufficientStock, Shortage
from domain.stock import Balance, StockChange, StockPosition
from storage.statuses import OPEN_PO
from storage.tables import items, po_lines, purchase_orders, stock_balances, stock_moves, warehouses
from storage.types import Qty
from storage.upsert import insert_ignore

ZERO = Decimal(0)
Key = tuple[int, int]


class SqlStock:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _select(self, keys: list[Key]) -> dict[Key, Balance]:
        rows = (await self.conn.execute(_LOCK, {"items": sorted({i for i, _ in keys}), "keys": keys})).all()
        return {(r.item_id, r.warehouse_id): Balance(r.on_hand, r.reserved) for r in rows}

    async def lock(self, keys: Iterable[Key]) -> dict[Key, Balance]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        found = await self._select(wanted)
        missing = [k for k in wanted if k not in found]
        if missing:
            await self.conn.execute(
                insert_ignore(self.conn, stock_balances, ["item_id", "warehouse_id"]),
                [{"item_id": i, "warehouse_id": w, "on_hand": 0, "reserved": 0} for i, w in missing],
            )
            found.update(await self._select(missing))
        return found

    async def apply(self, changes: Sequence[StockChange], act: Act) -> None:
        short: list[StockChange] = []
        for ch in sorted(changes, key=lambda c: c.key):
            if not ch.on_hand_delta and not ch.reserved_delta:
                continue
            result = await self.conn.execute(
                _APPLY,
                {
                    "b_item": ch.item_id,
                    "b_warehouse": ch.warehouse_id,
                    "d_on_hand": ch.on_hand_delta,
                    "d_reserved": ch.reserved_delta,
                },
            )
            if result.rowcount != 1:
                short.append(ch)
        if short:
            raise InsufficientStock([await self._shortage(ch) for ch in short])
        moves = [
            {
                "item_id": ch.item_id,
                "warehouse_id": ch.warehouse_id,
                "qty": ch.on_hand_delta,
                "kind": ch.kind.value,
                "ref": ch.ref,
                "actor_id": act.actor_id,
                "source": act.source.value,
                "at": act.at,
            }
            for ch in changes
            if ch.kind is not None and ch.on_hand_delta
        ]
        if moves:
            await self.conn.execute(insert(stock_moves), moves)

    async def _shortage(self, ch: StockChange) -> Shortage:
        b = stock_balances.c
        row = (
            await self.conn.execute(
                select(b.on_hand, b.reserved, warehouses.c.code)
                .join(warehouses, warehouses.c.id == b.warehouse_id)
                .where(b.item_id == ch.item_id, b.warehouse_id == ch.warehouse_id)
            )
        ).first()
        available = row.on_hand - row.reserved if row else ZERO
        wanted = ch.reserved_delta - ch.on_hand_delta
        return Shortage(ch.sku, row.code if row else str(ch.warehouse_id), wanted, available)

    async def position(self, item_id: int) -> StockPosition:
        row = (await self.conn.execute(_POSITION, {"item": item_id})).one()
        return StockPosition(row[0], row[1], row[2])

    async def inbound(self, item_id: int) -> Decimal:
        value = await self.conn.scalar(_INBOUND, {"item": item_id})
        return value if value is not None else ZERO


# Hot statements are built once: constructing (and cache-keying) a Core statement per call costs
# about as much Python as executing it.


def inbound_query(item_id: Any) -> Select[Decimal]:
    line = po_lines.c
    # A difference of Qty columns is typed as a plain integer (thousandths): coerce it back.
    return (
        select(type_coerce(func.coalesce(func.sum(line.qty - line.received_qty), 0), Qty))
        .join(purchase_orders, purchase_orders.c.id == line.po_id)
        .where(
            line.item_id == item_id,
            line.qty > line.received_qty,
            purchase_orders.c.status.in_(OPEN_PO),
        )
    )


def available() -> Any:
    """On hand less reserved over every warehouse, 0 without balances, of the item of the
    enclosing query on `items`."""
    b = stock_balances.c
    total = func.coalesce(func.sum(b.on_hand - b.reserved), 0)
    return select(total).where(b.item_id == items.c.id).correlate(items).scalar_subquery()


def is_low(projected: Any) -> ColumnElement[bool]:
    """domain.stock.is_low in SQL, for the item of the enclosing query on `items`."""
    i = items.c
    return and_(i.active.is_(True), i.reorder_point > 0, projected < i.reorder_point)


def _position_query() -> Select[Decimal, Decimal, Decimal]:
    # One round trip: low-stock judging asks for this once or twice per item and change.
    b = stock_balances.c
    return select(
        type_coerce(func.coalesce(func.sum(b.on_hand), 0), Qty),
        type_coerce(func.coalesce(func.sum(b.reserved), 0), Qty),
        inbound_query(bindparam("item")).scalar_subquery(),
    ).where(b.item_id == bindparam("item"))


def _lock_query() -> Select[int, int, Decimal, Decimal]:
    b = stock_balances.c
    return (
        select(b.item_id, b.warehouse_id, b.on_hand, b.reserved)
        # SQLite cannot use an index for a row-value IN list and would scan every balance; the
        # redundant item_id IN lets it search the primary key, the pair IN keeps it exact.
        .where(
            b.item_id.in_(bindparam("items", expanding=True)),
            tuple_(b.item_id, b.warehouse_id).in_(bindparam("keys", expanding=True)),
        )
        .order_by(b.item_id, b.warehouse_id)
        .with_for_update()
    )


def _apply_query() -> Update:
    b = stock_balances.c
    d_on_hand, d_reserved = bindparam("d_on_hand", type_=Qty()), bindparam("d_reserved", type_=Qty())
    return (
        update(stock_balances)
        .where(
            and_(
                b.item_id == bindparam("b_item"),
                b.warehouse_id == bindparam("b_warehouse"),
                b.on_hand + d_on_hand >= b.reserved + d_reserved,
                b.reserved + d_reserved >= 0,
            )
        )
        .values(on_hand=b.on_hand + d_on_hand, reserved=b.reserved + d_reserved)
    )


_INBOUND = inbound_query(bindparam("item"))
_POSITION = _position_query()
_APPLY = _apply_query()
_LOCK = _lock_query()
