"""Shared fixtures: a migrated database per test on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from storage.database import Database
from storage.setup import open_database
from tests.support import FrozenClock, World

PG_URL = os.environ.get("CAIXIAO_TEST_PG_URL")
PG_SKIP = "PostgreSQL tests skipped: set CAIXIAO_TEST_PG_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"

BACKENDS = ["sqlite", pytest.param("pg", marks=[pytest.mark.pg, pytest.mark.skipif(not PG_URL, reason=PG_SKIP)])]


async def _pg_admin(sql: str) -> None:
    import asyncpg  # only when PostgreSQL tests run

    assert PG_URL is not None
    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def make_database(backend: str, tmp_path: os.PathLike[str]) -> tuple[Database, str | None]:
    if backend == "sqlite":
        return await open_database(f"sqlite+aiosqlite:///{tmp_path}/caixiao.db"), None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_admin(f'CREATE SCHEMA "{schema}"')
    assert PG_URL is not None
    return await open_database(PG_URL, search_path=schema), schema


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> AsyncIterator[Database]:
    database, schema = await make_database(request.param, tmp_path)
    try:
        yield database
    finally:
        await database.dispose()
        if schema:
            await _pg_admin(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
async def world(db: Database, clock: FrozenClock) -> World:
    w = World(db, clock)
    await w.seed()
    return w


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per skip reason (not one per test), so a skipped backend is seen, not scrolled past."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons[reason.removeprefix("Skipped: ")] = reasons.get(reason.removeprefix("Skipped: "), 0) + 1
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"SKIPPED {count} test(s): {reason}", yellow=True)


# The longest tests start first: two workers then finish together instead of one of them
# running a long test alone at the end (about a minute less wall time on two cores).
LONG_FIRST = (
    "tests/integration/test_random_ops.py",
    "tests/e2e/",
    "tests/integration/test_races.py",
    "tests/integration/test_bench_smoke.py",
    "tests/emulator/test_sender_flood.py",
)


def pytest_collection_modifyitems(items: list[Any]) -> None:
    items.sort(key=lambda item: 0 if item.nodeid.startswith(LONG_FIRST) else 1)
