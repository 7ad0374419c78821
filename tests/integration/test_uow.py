"""The unit of work's edges: a failed COMMIT must not leak its transaction into the pool."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from domain import commands as c
from storage.database import Database
from storage.migrate import alembic_config, migrate
from tests.conftest import BACKENDS, PG_URL, _pg_admin
from tests.support import WAREHOUSE, World


async def test_a_commit_that_fails_leaves_nothing_behind_for_the_next_user(world: World, monkeypatch: Any) -> None:
    def failing_commit(self: Any, dbapi_connection: Any) -> None:
        raise OSError("disk I/O error during COMMIT")

    # At the driver: SQLAlchemy then believes the transaction ended while the driver is still in it.
    monkeypatch.setattr(type(world.db.write_engine.dialect), "do_commit", failing_commit)
    with pytest.raises(OSError, match="COMMIT"):
        await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="B-2", delta=Decimal(7), reason="count"))
    monkeypatch.undo()

    for _ in range(3):  # whichever pooled connection comes next
        await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="B-2", delta=Decimal(1), reason="count"))

    assert await world.balance("B-2") == (Decimal(3), Decimal(0))
    assert await world.drift() == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_workers_starting_together_on_a_new_database_migrate_it_once(backend: str, tmp_path: Path) -> None:
    """Four processes' worth of start-ups racing on an empty database: one creates the schema,
    the others wait (advisory lock on PostgreSQL, the write lock on SQLite) and find it current."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    if backend == "pg":
        await _pg_admin(f'CREATE SCHEMA "{schema}"')
    dbs = [
        Database(f"sqlite+aiosqlite:///{tmp_path}/new.db") if backend == "sqlite" else Database(PG_URL or "", search_path=schema)
        for _ in range(4)
    ]
    try:
        async with asyncio.timeout(60):  # without the advisory lock, PostgreSQL's racing DDL hung here
            await asyncio.gather(*(migrate(d) for d in dbs))

        async with dbs[0].reading() as conn:
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert await conn.scalar(text("SELECT version_num FROM alembic_version")) == head
            assert await conn.scalar(text("SELECT count(*) FROM warehouses")) == 1
    finally:
        for d in dbs:
            await d.dispose()
        if backend == "pg":
            await _pg_admin(f'DROP SCHEMA "{schema}" CASCADE')
