"""Alert tests start from the chat tests' seeded database (a copied SQLite file, or the shared
PostgreSQL schema reset to its seeded rows): much quicker than migrating one per test."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.chat.conftest import _PG_TEMPLATE, db, world
from tests.conftest import _pg_admin

__all__ = ["db", "world"]


@pytest.fixture(scope="session", autouse=True)
def _drop_shared_pg_template() -> Iterator[None]:
    """Dropped once, whichever of this and the chat tests' own teardown runs first."""
    yield
    while _PG_TEMPLATE:
        schema, _, _ = _PG_TEMPLATE.pop()
        asyncio.run(_pg_admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
