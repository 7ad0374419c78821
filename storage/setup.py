"""Opening a database for the application: migrate, then make sure the first admins exist."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from domain.master import Role, User
from storage.database import Database
from storage.master_repos import SqlUsers
from storage.migrate import migrate
from storage.tables import users


async def ensure_admins(db: Database, admins: Iterable[tuple[int, str]]) -> list[int]:
    """Register the configured admins that are missing; returns the ids added."""
    added = []
    async with db.write_engine.begin() as conn:
        repo = SqlUsers(conn)
        for user_id, name in admins:
            if await conn.scalar(select(users.c.id).where(users.c.id == user_id)) is None:
                await repo.add(User(user_id, name, frozenset({Role.ADMIN})))
                added.append(user_id)
    return added


async def open_database(url: str, *, admins: Iterable[tuple[int, str]] = (), search_path: str | None = None) -> Database:
    db = Database(url, search_path=search_path)
    await migrate(db)
    await ensure_admins(db, admins)
    return db
