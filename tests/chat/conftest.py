"""Chat fixtures. Kept quick: each test starts from one migrated, seeded database made once per
session (SQLite: a copy of its file; PostgreSQL: one schema whose tables are reset to the seeded
rows); and when both backends run, each language-dependent test runs in English on one backend
and in Chinese on the other (on SQLite alone it runs in both languages)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from storage.database import Database
from storage.tables import metadata
from tests.chat.harness import ChatHarness
from tests.conftest import BACKENDS, PG_URL, _pg_admin, make_database
from tests.support import FrozenClock, World

LANGS = ["en", "zh"]
_TEMPLATE: dict[str, Path] = {}
_PAIRS = {("sqlite", "en"), ("pg", "zh")}


async def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database with the seeded company, made once per session."""
    if "sqlite" not in _TEMPLATE:
        folder = tmp_path_factory.mktemp("chat-template")
        database, _ = await make_database("sqlite", folder)
        await World(database, FrozenClock()).seed()
        await database.dispose()
        _TEMPLATE["sqlite"] = folder / "caixiao.db"
    return _TEMPLATE["sqlite"]


async def _seeded_pg_schema(tmp_path: Path) -> tuple[str, dict[str, list[dict[str, Any]]], list[tuple[str, str]]]:
    """A migrated, seeded schema; its rows; and its (table, column) pairs fed by a sequence."""
    database, schema = await make_database("pg", tmp_path)
    assert schema is not None
    try:
        await World(database, FrozenClock()).seed()
        async with database.reading() as conn:
            rows = {t.name: [dict(r._mapping) for r in (await conn.execute(select(t))).all()] for t in metadata.sorted_tables}
            serial = (
                await conn.execute(
                    text(
                        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = :s "
                        "AND (column_default LIKE 'nextval%' OR is_identity = 'YES')"
                    ),
                    {"s": schema},
                )
            ).all()
    finally:
        await database.dispose()
    return schema, rows, [(r[0], r[1]) for r in serial]


_PG_TEMPLATE: list[tuple[str, dict[str, list[dict[str, Any]]], list[tuple[str, str]]]] = []


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_template() -> Iterator[None]:
    yield
    for schema, _, _ in _PG_TEMPLATE:
        asyncio.run(_pg_admin(f'DROP SCHEMA "{schema}" CASCADE'))


async def _reset_pg(tmp_path: Path) -> Database:
    """The shared schema, its tables back to the seeded rows and sequences."""
    if not _PG_TEMPLATE:
        _PG_TEMPLATE.append(await _seeded_pg_schema(tmp_path))
    schema, rows, serial = _PG_TEMPLATE[0]
    assert PG_URL is not None
    database = Database(PG_URL, search_path=schema)
    async with database.write_engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):  # a few rows each: DELETE beats TRUNCATE
            await conn.execute(table.delete())
        for table in metadata.sorted_tables:
            if rows[table.name]:
                await conn.execute(insert(table), rows[table.name])
        for table_name, column in serial:
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{schema}\".\"{table_name}\"', '{column}'), "
                    f'COALESCE((SELECT MAX("{column}") FROM "{table_name}"), 0) + 1, false)'
                )
            )
    database.seeded = True  # type: ignore[attr-defined]
    return database


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        shutil.copy(await _sqlite_template(tmp_path_factory), tmp_path / "caixiao.db")
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/caixiao.db")
        database.seeded = True  # type: ignore[attr-defined]
        try:
            yield database
        finally:
            await database.dispose()
        return
    database = await _reset_pg(tmp_path)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def world(db: Database, clock: FrozenClock) -> World:
    w = World(db, clock)
    if not getattr(db, "seeded", False):
        await w.seed()
    return w


@pytest.fixture(params=LANGS)
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not PG_URL:
        return
    here = str(Path(__file__).parent)
    keep: list[Any] = []
    dropped: list[Any] = []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        pair = (params.get("db"), params.get("lang"))
        if str(item.path).startswith(here) and None not in pair and pair not in _PAIRS:
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture
async def chat(world: World) -> ChatHarness:
    return ChatHarness(world)
