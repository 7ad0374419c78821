"""INSERT ... ON CONFLICT for both dialects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def dialect_insert(conn: AsyncConnection, table: Table) -> Any:
    """The dialect's own INSERT: only it has `on_conflict_do_update` and `excluded`."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def insert_ignore(conn: AsyncConnection, table: Table, conflict: list[str]) -> Any:
    return dialect_insert(conn, table).on_conflict_do_nothing(index_elements=conflict)
