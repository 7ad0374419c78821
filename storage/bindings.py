"""Alert bindings (which kinds a group or forum topic receives) and chat targets, in SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.alerts import KINDS, ChatPlace
from storage.database import Database
from storage.tables import alert_bindings, chat_targets
from storage.uow import SqlUnitOfWork
from storage.upsert import dialect_insert, insert_ignore


def _in_kind_order(kinds: Iterable[str]) -> list[str]:
    return sorted(set(kinds), key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS))


async def register_target(conn: AsyncConnection, place: ChatPlace, lang: str, at: datetime) -> None:
    """The chat as a delivery target in `lang`, active: someone just used the bot there."""
    values = {
        "chat_type": place.chat_type,
        "title": place.title,
        "language": lang,
        "active": True,
        "inactive_reason": None,
        "updated_at": at,
    }
    stmt = dialect_insert(conn, chat_targets).values(chat_id=place.chat_id, **values)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["chat_id"], set_=values))


class SqlAlertBindings:
    """domain.ports.AlertBindings; each call is its own short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def bind(self, place: ChatPlace, kinds: Sequence[str], by: int | None, lang: str, at: datetime) -> list[str]:
        async with SqlUnitOfWork(self.db) as uow:
            before = set(await _bound(uow.conn, place.chat_id, place.thread_id))
            rows = [
                {"chat_id": place.chat_id, "thread_id": place.thread_id, "kind": k, "created_by": by, "created_at": at}
                for k in kinds
            ]
            await uow.conn.execute(insert_ignore(uow.conn, alert_bindings, ["chat_id", "thread_id", "kind"]), rows)
            await register_target(uow.conn, place, lang, at)
            await uow.commit()
        return _in_kind_order(set(kinds) - before)

    async def unbind(self, chat_id: int, thread_id: int, kinds: Sequence[str] | None) -> list[str]:
        b = alert_bindings.c
        async with SqlUnitOfWork(self.db) as uow:
            here = await _bound(uow.conn, chat_id, thread_id)
            gone = [k for k in here if kinds is None or k in kinds]
            if gone:
                where = and_(b.chat_id == chat_id, b.thread_id == thread_id, b.kind.in_(gone))
                await uow.conn.execute(delete(alert_bindings).where(where))
            await uow.commit()
        return gone

    async def bound(self, chat_id: int, thread_id: int) -> list[str]:
        async with self.db.reading() as conn:
            return await _bound(conn, chat_id, thread_id)


async def _bound(conn: AsyncConnection, chat_id: int, thread_id: int) -> list[str]:
    b = alert_bindings.c
    query = select(b.kind).where(b.chat_id == chat_id, b.thread_id == thread_id)
    return _in_kind_order((await conn.scalars(query)).all())


# --- bindings from config.toml ------------------------------------------------------------------


class ConfiguredBinding(Protocol):
    @property
    def chat_id(self) -> int: ...
    @property
    def thread_id(self) -> int: ...
    @property
    def kinds(self) -> Sequence[str]: ...


class ConfiguredAlerts(Protocol):
    """What `[alerts]` in config.toml says (bot.config.AlertsConfig)."""

    @property
    def bindings(self) -> Sequence[ConfiguredBinding]: ...


async def apply_configured_bindings(db: Database, cfg: ConfiguredAlerts, now: datetime | None = None) -> int:
    """Make the bindings in the database match `[alerts] bindings` at start; returns how many
    were added. Config owns the bindings it made (created_by NULL): one no longer listed is
    removed, so deleting a line from config.toml takes effect. Bindings admins made with /bind
    are left alone, and one listed in both stays. `kinds = ["all"]` means every kind. Routing
    speaks the company language in such a chat until an admin binds something there."""
    at = now or datetime.now(UTC)
    wanted: set[tuple[int, int, str]] = set()
    for entry in cfg.bindings:
        kinds = KINDS if "all" in entry.kinds else entry.kinds
        wanted |= {(entry.chat_id, entry.thread_id, k) for k in kinds}
    b = alert_bindings.c
    async with SqlUnitOfWork(db) as uow:
        conn = uow.conn
        rows = (await conn.execute(select(b.chat_id, b.thread_id, b.kind, b.created_by))).all()
        ours = {(r.chat_id, r.thread_id, r.kind) for r in rows if r.created_by is None}
        stale = ours - wanted
        if stale:
            await conn.execute(
                delete(alert_bindings).where(
                    b.created_by.is_(None),
                    or_(*(and_(b.chat_id == c, b.thread_id == t, b.kind == k) for c, t, k in sorted(stale))),
                )
            )
        existing = {(r.chat_id, r.thread_id, r.kind) for r in rows} - stale
        new = sorted(wanted - existing)
        if new:
            await conn.execute(
                insert_ignore(conn, alert_bindings, ["chat_id", "thread_id", "kind"]),
                [{"chat_id": c, "thread_id": t, "kind": k, "created_by": None, "created_at": at} for c, t, k in new],
            )
        await uow.commit()
    return len(new)
