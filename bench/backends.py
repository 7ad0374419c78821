"""Throw-away databases: a temporary SQLite file, or a fresh PostgreSQL schema dropped after."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.database import Database
from storage.setup import open_database


async def _pg_admin(url: str, sql: str) -> None:
    import asyncpg  # type: ignore[import-untyped]  # only for PostgreSQL runs

    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(backend: str, pg_url: str | None = None) -> AsyncIterator[Database]:
    """A migrated, empty database that disappears afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="caixiao-bench-") as tmp:
            db = await open_database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
            try:
                yield db
            finally:
                await db.dispose()
        return
    if not pg_url:
        raise SystemExit("PostgreSQL benchmark needs --pg-url or CAIXIAO_BENCH_PG_URL / CAIXIAO_TEST_PG_URL")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    await _pg_admin(pg_url, f'CREATE SCHEMA "{schema}"')
    try:
        db = await open_database(pg_url, search_path=schema)
        try:
            yield db
        finally:
            await db.dispose()
    finally:
        await _pg_admin(pg_url, f'DROP SCHEMA "{schema}" CASCADE')
