"""One-statement reads that answer in a single hand-off to SQLite's thread.

Through SQLAlchemy's async adapter a read on SQLite costs nine trips between the event loop and
the driver's thread (BEGIN, cursor, execute, fetch, close, COMMIT, the pool's reset), each about
0.1 ms on a small machine, while an indexed lookup itself takes a few microseconds. The reads
made for nearly every update (the stock card, the sender's registration, their dialogue state)
run here instead: compiled once, sent with `execute_fetchall` on a dedicated read-only
connection in autocommit mode (a single SELECT is its own snapshot), and their columns
converted by the same SQLAlchemy types. Only for one statement that needs no snapshot shared
with another (ADR 0009). PostgreSQL (asyncpg has no thread) and in-memory SQLite go through the
read engine.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import Select
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

Row = Any  # a namedtuple with the statement's column names


class Prepared:
    """A constant Core SELECT compiled for one dialect, with how to order its parameters and
    read its rows. Built once per statement object: pass module-level statements only."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        self.statement = statement
        compiled = statement.compile(dialect=dialect)
        for bind in compiled.binds.values():
            if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
                raise ValueError(f"point reads pass values as given; {bind.key} ({bind.type}) needs converting")
        self.names = frozenset(bind.key for bind in compiled.binds.values() if bind.required)
        # The IN lists of these statements are constants: expanded once, not per call.
        expanded = compiled.construct_expanded_state(dict.fromkeys(self.names))
        self.sql = expanded.statement
        self.fixed = dict(expanded.parameters)
        self.order = tuple(expanded.positiontup or ())
        columns = statement.selected_columns
        self.processors: tuple[Callable[[Any], Any] | None, ...] = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
        self.row = namedtuple("Row", list(columns.keys()), rename=True)  # type: ignore[misc]

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """Values go to the driver as given: plain strings and numbers."""
        if values.keys() != self.names:  # a missing one would silently bind NULL and find nothing
            raise ValueError(f"point read needs exactly {sorted(self.names)}, got {sorted(values)}")
        merged = {**self.fixed, **values}
        return tuple(merged[name] for name in self.order)

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[Row]:
        procs = self.processors
        return [self.row(*(p(v) if p is not None else v for p, v in zip(procs, r, strict=True))) for r in raw]


class PointReader:
    """Runs prepared statements on a dedicated SQLite connection, opened on first use. Once
    closed it reads through the engine, so a late read during shutdown opens nothing new."""

    def __init__(self, engine: AsyncEngine, busy_timeout_ms: int) -> None:
        self.engine = engine
        database = make_url(str(engine.url)).database
        self.path = Path(database) if database and database != ":memory:" else None
        self.busy_timeout_ms = busy_timeout_ms
        self._conn: aiosqlite.Connection | None = None
        self._closed = False
        self._prepared: dict[int, Prepared] = {}

    @property
    def direct(self) -> bool:
        return self.engine.dialect.name == "sqlite" and self.path is not None and not self._closed

    def prepare(self, statement: Select[Any]) -> Prepared:
        prepared = self._prepared.get(id(statement))
        if prepared is None or prepared.statement is not statement:
            prepared = self._prepared[id(statement)] = Prepared(statement, self.engine.dialect)
        return prepared

    async def fetch(self, statement: Select[Any], values: Mapping[str, Any]) -> list[Row]:
        driver = self._conn
        if driver is None and self.path is not None and self.direct:
            driver = await self._open(self.path)
        if driver is None:
            async with self.engine.connect() as conn:
                return list((await conn.execute(statement, dict(values))).all())
        prepared = self.prepare(statement)
        raw = await driver.execute_fetchall(prepared.sql, prepared.parameters(values))
        return prepared.rows(list(raw))

    async def _open(self, path: Path) -> aiosqlite.Connection | None:
        # No lock shared across event loops: two first reads may both open; one connection stays.
        conn = aiosqlite.connect(path, isolation_level=None, timeout=self.busy_timeout_ms / 1000)
        # aiosqlite's worker thread is not a daemon: one left open would keep the process from
        # exiting (SQLAlchemy's adapter makes its own threads daemons for the same reason).
        conn._thread.daemon = True
        try:
            await conn
            await conn.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
            await conn.execute("PRAGMA query_only=ON")
        except BaseException:
            await conn.close()
            raise
        if self._conn is not None or self._closed:  # another first read won, or shutdown began
            await conn.close()
        else:
            self._conn = conn
        return self._conn

    async def close(self) -> None:
        self._closed = True
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()
