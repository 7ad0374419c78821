"""Dialogue (FSM) state for aiogram in our own database: survives restarts, shared by workers.

One row of `dialogue_state` per aiogram StorageKey holds the state name and the data (a JSON
object as text). Writes go through the same write path as units of work (on SQLite: the
in-process write turn and BEGIN IMMEDIATE); reads use the read engine. A row whose state is None
and whose data is empty is deleted, so finished dialogues leave nothing behind. With a `ttl`, a
dialogue untouched (not written) for longer than that reads as empty; `purge_expired` removes
such rows in bulk.

`update_data` reads, merges and writes inside one write transaction, locking the row
(SELECT ... FOR UPDATE) on PostgreSQL; the SQLite write lock serialises it there. aiogram's
default (get_data, then set_data) would let two quick messages of one user lose an update.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import ColumnElement, and_, bindparam, case, delete, literal, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.ports import Clock
from storage.database import Database
from storage.tables import dialogue_state
from storage.uow import SqlUnitOfWork
from storage.upsert import insert_ignore

EMPTY = "{}"
Row = tuple[str | None, dict[str, Any]]  # state, data
KEY_COLUMNS = ["bot_id", "chat_id", "user_id", "thread_id", "business_connection_id", "destiny"]

_t = dialogue_state.c


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def key_columns(key: StorageKey) -> dict[str, Any]:
    """The row's primary key; a missing thread or business connection is 0 / ''."""
    return {
        "bot_id": key.bot_id,
        "chat_id": key.chat_id,
        "user_id": key.user_id,
        "thread_id": key.thread_id or 0,
        "business_connection_id": key.business_connection_id or "",
        "destiny": key.destiny,
    }


def _where(key: StorageKey) -> ColumnElement[bool]:
    return and_(*(_t[name] == value for name, value in key_columns(key).items()))


_READ = select(_t.state, _t.data, _t.updated_at).where(*(_t[name] == bindparam(name) for name in KEY_COLUMNS))


def _check_json(value: Any, path: str) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"dialogue data must be JSON: {path} is {value}, which JSON cannot hold")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                raise ValueError(f"dialogue data must be JSON: {path} has a key {k!r} that is not a string")
            _check_json(item, f"{path}[{k!r}]")
        return
    raise ValueError(
        f"dialogue data must be JSON: {path} is a {type(value).__name__}; store Decimal, dates and "
        "other objects as strings, tuples as lists"
    )


def dumps(data: Mapping[str, Any]) -> str:
    """The data as JSON text; ValueError naming the first part that would not come back as it went in."""
    if not isinstance(data, Mapping):
        raise DataNotDictLikeError(f"Data must be a dict or dict-like object, got {type(data).__name__}")
    plain = dict(data)
    _check_json(plain, "data")
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def loads(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"dialogue_state.data is not a JSON object: {text[:40]!r}")
    return value


class SqlFsmStorage(BaseStorage):
    """aiogram FSM storage in the `dialogue_state` table of the application's database.

    `ttl`: inactivity timeout counted from the last write; None keeps dialogues forever.
    `clock`: where "now" comes from (UTC), so tests can freeze it.
    The Database belongs to the application: `close()` leaves it open.
    """

    def __init__(self, db: Database, *, ttl: timedelta | None = None, clock: Clock | None = None) -> None:
        if ttl is not None and ttl <= timedelta(0):
            raise ValueError(f"ttl must be positive, got {ttl}")
        self.db = db
        self.ttl = ttl
        self.clock: Clock = clock or _SystemClock()

    # --- aiogram's interface ------------------------------------------------------------------

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._upsert(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._read(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=dumps(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self._read(key))[1]

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        """dict.update on the stored data, atomically: read, merge and write in one write
        transaction, with the row locked (FOR UPDATE on PostgreSQL, the write lock on SQLite)."""
        dumps(data)  # refuse bad data before taking the write lock
        async with self._writing() as conn:
            now = self.clock.now()
            found = await self._locked_row(conn, key, now)
            if found is None:
                # Nothing to lock yet: create the row (waiting for a concurrent creator to commit),
                # then lock it like any other.
                await conn.execute(
                    insert_ignore(conn, dialogue_state, KEY_COLUMNS).values(
                        **key_columns(key), state=None, data=EMPTY, updated_at=now
                    )
                )
                found = await self._locked_row(conn, key, now)
                assert found is not None
            state, current = found
            current.update(data)
            text = dumps(current)
            if state is None and text == EMPTY:
                await conn.execute(delete(dialogue_state).where(_where(key)))
            else:
                await conn.execute(update(dialogue_state).where(_where(key)).values(state=state, data=text, updated_at=now))
        return loads(text)

    async def close(self) -> None:
        """The Database is shared with the rest of the application, which disposes of it."""

    # --- housekeeping -------------------------------------------------------------------------

    async def purge_expired(self, now: datetime | None = None) -> int:
        """Delete every dialogue untouched for longer than the ttl; returns how many."""
        if self.ttl is None:
            return 0
        cutoff = (now or self.clock.now()) - self.ttl
        async with self._writing() as conn:
            result = await conn.execute(delete(dialogue_state).where(_t.updated_at < cutoff))
        return int(result.rowcount)

    # --- internals ----------------------------------------------------------------------------

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction the way units of work run one (write turn, BEGIN IMMEDIATE on SQLite)."""
        async with SqlUnitOfWork(self.db) as uow:
            yield uow.conn
            await uow.commit()

    def _expired(self, updated_at: datetime, now: datetime) -> bool:
        return self.ttl is not None and updated_at < now - self.ttl

    async def record(self, key: StorageKey) -> Row:
        """State and data in one read (aiogram asks for them separately)."""
        return await self._read(key)

    async def _read(self, key: StorageKey) -> Row:
        # Asked on every update of someone not known to be idle: one statement, one hand-off.
        rows = await self.db.points.fetch(_READ, key_columns(key))
        row = rows[0] if rows else None
        if row is None:
            return None, {}
        now = self.clock.now()
        if self._expired(row.updated_at, now):
            assert self.ttl is not None
            async with self._writing() as conn:
                # Only if still expired: a write that refreshed it meanwhile wins.
                await conn.execute(delete(dialogue_state).where(_where(key), _t.updated_at < now - self.ttl))
            return None, {}
        return row.state, loads(row.data)

    async def _locked_row(self, conn: AsyncConnection, key: StorageKey, now: datetime) -> Row | None:
        """The row's state and data, locked until commit; an expired row reads as empty."""
        row = (await conn.execute(select(_t.state, _t.data, _t.updated_at).where(_where(key)).with_for_update())).first()
        if row is None:
            return None
        if self._expired(row.updated_at, now):
            return None, {}
        return row.state, loads(row.data)

    async def _upsert(self, key: StorageKey, **values: Any) -> None:
        """One INSERT ... ON CONFLICT DO UPDATE of the given column (state or data); the other one
        is kept, unless the row has expired. A row left empty is deleted in the same transaction."""
        async with self._writing() as conn:
            now = self.clock.now()
            module = postgresql if conn.dialect.name == "postgresql" else sqlite
            stmt = module.insert(dialogue_state).values(
                **key_columns(key), **{"state": None, "data": EMPTY, **values}, updated_at=now
            )
            excluded = stmt.excluded
            changes: dict[str, Any] = {name: excluded[name] for name in values}
            changes["updated_at"] = excluded.updated_at
            if self.ttl is not None:
                # The part not being set survives only while the dialogue is alive.
                stale = _t.updated_at < now - self.ttl
                if "state" not in values:
                    changes["state"] = case((stale, null()), else_=_t.state)
                if "data" not in values:
                    changes["data"] = case((stale, literal(EMPTY)), else_=_t.data)
            await conn.execute(stmt.on_conflict_do_update(index_elements=KEY_COLUMNS, set_=changes))
            if values.get("state", "") is None or values.get("data") == EMPTY:
                await conn.execute(delete(dialogue_state).where(_where(key), _t.state.is_(None), _t.data == EMPTY))
