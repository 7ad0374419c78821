"""Schema migrations (Alembic) run programmatically: `caixiao migrate`, and on first start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"

MIGRATION_LOCK = 0x43414958  # "CAIX": the advisory lock key that serialises migrations
_SYNC_DRIVERS = {"sqlite+aiosqlite": "sqlite", "postgresql+asyncpg": "postgresql+psycopg"}


def alembic_config(connection: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(sync_conn: Any, revision: str) -> None:
    command.upgrade(alembic_config(sync_conn), revision)


async def migrate(db: Any, revision: str = "head") -> None:
    """Bring the database to `revision`. Safe to run at every start: a no-op when current."""
    # The write engine: on SQLite this holds the write lock, so two starting processes
    # cannot both try to create the schema.
    async with db.write_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Workers starting together on one database: one migrates, the others wait, then no-op.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        await conn.run_sync(_upgrade, revision)


def sync_url(url: str) -> str:
    parsed = make_url(url)
    return str(parsed.set(drivername=_SYNC_DRIVERS.get(parsed.drivername, parsed.drivername)))


def autogenerate(url: str, message: str) -> None:  # pragma: no cover - a developer tool
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    with engine.begin() as conn:
        command.revision(alembic_config(conn), message=message, autogenerate=True)
