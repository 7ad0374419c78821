"""Naive implementations the race tests must catch: swapped in to prove the tests have teeth.

Each is what a hurried developer would write, and each is wrong in exactly one way:
- NaiveStock: reads the balance (no FOR UPDATE), decides in Python, writes the new value back
  (`SET on_hand = :new`) with no guard in the WHERE clause.
- NaivePurchaseOrders: loads the header without FOR UPDATE and saves it unconditionally
  (no version check), so a stale "pending" wins over a decision committed meanwhile.
- NaiveSequences: reads the counter, then writes counter + 1.
- deferred_writes: on SQLite, write transactions start with a plain (deferred) BEGIN instead of
  BEGIN IMMEDIATE, and without queueing for their turn, so a transaction that read first cannot
  upgrade to a write.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import and_, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.acts import Act
from domain.errors import InsufficientStock
from domain.purchasing import PurchaseOrder
from domain.stock import Balance, StockChange
from storage.database import Database
from storage.order_repos import Collect, SqlPurchaseOrders
from storage.sequences import SqlSequences
from storage.stock import Key, SqlStock
from storage.tables import purchase_orders, sequences, stock_balances, stock_moves
from storage.upsert import insert_ignore


class NaiveStock(SqlStock):
    """Read, decide in Python, write back: the read-modify-write the ledger must never do."""

    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn)
        self.seen: dict[Key, Balance] = {}

    async def _select(self, keys: list[Key]) -> dict[Key, Balance]:
        b = stock_balances.c
        rows = (
            await self.conn.execute(
                select(b.item_id, b.warehouse_id, b.on_hand, b.reserved).where(tuple_(b.item_id, b.warehouse_id).in_(keys))
            )
        ).all()
        found = {(r.item_id, r.warehouse_id): Balance(r.on_hand, r.reserved) for r in rows}
        self.seen.update(found)
        return found

    async def apply(self, changes: Sequence[StockChange], act: Act) -> None:
        b = stock_balances.c
        short = []
        for ch in changes:
            if not ch.on_hand_delta and not ch.reserved_delta:
                continue
            if ch.key not in self.seen:
                await self._select([ch.key])
            bal = self.seen[ch.key]
            new = Balance(bal.on_hand + ch.on_hand_delta, bal.reserved + ch.reserved_delta)
            if new.on_hand < new.reserved or new.reserved < 0:
                short.append(ch)
                continue
            await self.conn.execute(
                update(stock_balances)
                .where(and_(b.item_id == ch.item_id, b.warehouse_id == ch.warehouse_id))
                .values(on_hand=new.on_hand, reserved=new.reserved)
            )
            self.seen[ch.key] = new
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


class LineOrderStock(SqlStock):
    """Locks each balance as the order lists it, not in ascending key order: [A, B] against
    [B, A] then waits in a cycle (a deadlock on PostgreSQL)."""

    async def lock(self, keys: Iterable[Key]) -> dict[Key, Balance]:
        found: dict[Key, Balance] = {}
        for key in dict.fromkeys(keys):
            found.update(await super().lock([key]))
            await asyncio.sleep(0.005)  # let the other order take its first row
        return found


class _NoRowLocks:
    """A connection whose SELECT ... FOR UPDATE loses the FOR UPDATE: "just read it"."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(statement, "_for_update_arg", None) is not None:
            statement = statement._generate()
            statement._for_update_arg = None
        return await self._conn.execute(statement, *args, **kwargs)


class NaivePurchaseOrders(SqlPurchaseOrders):
    """Loads without a row lock and writes the header unconditionally (no version check)."""

    def __init__(self, conn: AsyncConnection, collect: Collect) -> None:
        super().__init__(_NoRowLocks(conn), collect)  # type: ignore[arg-type]

    async def save(self, po: PurchaseOrder) -> None:
        await self.conn.execute(
            update(purchase_orders).where(purchase_orders.c.id == po.id).values(**self._header(po), version=po.version + 1)
        )
        po.version += 1
        await self._children(po)


class NaiveSequences(SqlSequences):
    """SELECT value, then UPDATE value = value_read + 1: two callers can get the same number."""

    async def next(self, name: str) -> int:
        s = sequences.c
        await self.conn.execute(insert_ignore(self.conn, sequences, ["name"]).values(name=name, value=0))
        current = int(await self.conn.scalar(select(s.value).where(s.name == name)) or 0)
        await asyncio.sleep(random.uniform(0, 0.002))
        await self.conn.execute(update(sequences).where(s.name == name).values(value=current + 1))
        return current + 1


def jitter(monkeypatch: pytest.MonkeyPatch, cls: type, method: str, rng: random.Random, max_ms: float = 2.0) -> None:
    """Sleep 0..max_ms after `cls.method` returns: a pause between reading and writing, as a slow
    handler or a network round trip would make, so that concurrent use cases interleave."""
    original = getattr(cls, method)

    async def with_pause(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = await original(self, *args, **kwargs)
        await asyncio.sleep(rng.uniform(0, max_ms) / 1000)
        return result

    monkeypatch.setattr(cls, method, with_pause)


@asynccontextmanager
async def deferred_writes(db: Database) -> AsyncIterator[None]:
    """On SQLite, run units of work on the read engine, whose transactions open with a plain
    BEGIN, and let them start at once rather than queue for the write turn. A no-op on
    PostgreSQL, which has no such distinction."""
    if not db.is_sqlite:
        yield
        return
    write_engine, write_turn = db.write_engine, db.write_turn
    db.write_engine, db.write_turn = db.read_engine, None
    try:
        yield
    finally:
        db.write_engine, db.write_turn = write_engine, write_turn
