"""The SQL unit of work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import AlreadyApplied
from domain.events import Event
from domain.ports import Customers, Items, PurchaseOrders, SalesOrders, Sequences, Stock, Suppliers, Users, Warehouses
from storage.database import BUSY_TIMEOUT_MS, Database
from storage.episodes import settle as settle_episodes
from storage.errors import translate
from storage.master_repos import SqlCustomers, SqlItems, SqlSuppliers, SqlUsers, SqlWarehouses
from storage.order_repos import SqlPurchaseOrders, SqlSalesOrders
from storage.outbox import outbox_rows
from storage.sequences import SqlSequences
from storage.stock import SqlStock
from storage.tables import applied_commands, audit_log


class SqlUnitOfWork:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: AsyncConnection | None = None
        self._events: list[Event] = []
        self._turn: asyncio.Lock | None = None
        self.idempotency_key: str | None = None

    async def __aenter__(self) -> Self:
        if self.db.write_turn is not None:
            async with asyncio.timeout(BUSY_TIMEOUT_MS / 1000):
                await self.db.write_turn.acquire()
            self._turn = self.db.write_turn
        try:
            self._conn = await self.db.write_engine.connect()
            await self._conn.begin()
        except DBAPIError as exc:
            self._release_turn()
            raise translate(exc) from exc
        except BaseException:
            self._release_turn()
            raise
        conn, self._events = self._conn, []
        self.items: Items = SqlItems(conn)
        self.suppliers: Suppliers = SqlSuppliers(conn)
        self.customers: Customers = SqlCustomers(conn)
        self.warehouses: Warehouses = SqlWarehouses(conn)
        self.users: Users = SqlUsers(conn)
        self.stock: Stock = SqlStock(conn)
        self.pos: PurchaseOrders = SqlPurchaseOrders(conn, self.record)
        self.sos: SalesOrders = SqlSalesOrders(conn, self.record)
        self.sequences: Sequences = SqlSequences(conn)
        return self

    @property
    def conn(self) -> AsyncConnection:
        assert self._conn is not None, "use the unit of work inside 'async with'"
        return self._conn

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            await self._close(exc)
        finally:
            self._release_turn()

    def _release_turn(self) -> None:
        turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()

    async def _close(self, exc: BaseException | None) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await conn.close()
        if isinstance(exc, DBAPIError):
            translated = translate(exc)
            if translated is not exc:
                raise translated from exc

    def record(self, events: Iterable[Event]) -> None:
        self._events.extend(events)

    async def commit(self) -> None:
        conn = self.conn
        if self._events:
            # Low-stock events become one alert per episode; a repeat leaves no audit row either.
            self._events = await settle_episodes(conn, self._events, max(e.at for e in self._events))
        if audited := [e for e in self._events if e.audit]:
            await conn.execute(
                insert(audit_log),
                [
                    {
                        "at": e.at,
                        "actor_id": e.actor_id,
                        "source": e.source,
                        "entity": e.entity,
                        "ref": e.ref,
                        "action": e.name,
                        "details": e.payload(),
                    }
                    for e in audited
                ],
            )
        if self._events:
            await outbox_rows(conn, self._events)
        self._events = []
        if self.idempotency_key is not None:
            try:
                await conn.execute(insert(applied_commands).values(key=self.idempotency_key, at=datetime.now(UTC)))
            except IntegrityError as exc:  # the whole transaction rolls back with it
                raise AlreadyApplied(self.idempotency_key) from exc
        try:
            await conn.commit()
        except BaseException:
            # A failed COMMIT may leave the driver inside the transaction (SQLite "busy"); such a
            # connection must never go back to the pool, where the next user would inherit it.
            await conn.invalidate()
            raise


class SqlUnitOfWorkFactory:
    def __init__(self, db: Database) -> None:
        self.db = db

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db)
