"""Engines. On SQLite, write transactions start with BEGIN IMMEDIATE and readers use WAL.

A deferred BEGIN that reads and then writes cannot upgrade its lock while another writer
commits, and SQLite then fails at once with "database is locked" without honouring the busy
timeout. Taking the write lock at BEGIN makes contended writers queue instead.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.util import await_only

from storage.pointread import PointReader

BUSY_TIMEOUT_MS = 30_000


def _sqlite_engine(url: str, begin: str, pool_size: int) -> AsyncEngine:
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size * 2, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Switching a brand-new file to WAL while another start-up does the same can answer
        # "database is locked" at once, without the busy timeout: wait a moment and try again.
        for attempt in itertools.count():
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                break
            except Exception as exc:  # the driver's OperationalError, through the async adapter
                if "locked" not in str(exc) or attempt >= 200:
                    raise
                await_only(asyncio.sleep(0.05))
        for pragma in ("synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """The write engine serves units of work; the read engine serves views and reports."""

    def __init__(self, url: str, *, pool_size: int = 10, search_path: str | None = None) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # SQLite's busy handler polls with growing sleeps (up to 100 ms) instead of queueing, so
        # under steady contention a waiting writer can lose every round until the busy timeout
        # and fail with "database is locked". This process's units of work queue here instead,
        # first come first served; other processes still wait on the busy timeout.
        self.write_turn: asyncio.Lock | None = None
        if self.is_sqlite:
            self.write_turn = asyncio.Lock()
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE", pool_size)
            self.read_engine = _sqlite_engine(url, "BEGIN", pool_size)
        else:
            # search_path lets several companies (or test runs) share one PostgreSQL database.
            connect_args = {"server_settings": {"search_path": search_path}} if search_path else {}
            self.write_engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size * 2, connect_args=connect_args
            )
            self.read_engine = self.write_engine
        self.points = PointReader(self.read_engine, BUSY_TIMEOUT_MS)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A read-only snapshot for views; never holds the SQLite write lock."""
        async with self.read_engine.connect() as conn, conn.begin():
            yield conn

    async def dispose(self) -> None:
        await self.points.close()
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()
