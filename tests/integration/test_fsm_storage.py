"""Dialogue (FSM) state in the database (storage.fsm.SqlFsmStorage), on SQLite and PostgreSQL.

The race test runs twenty concurrent update_data calls on one key for many rounds; the test whose
name starts with "a_naive" swaps in aiogram's default update_data (get_data, then set_data, not in
one transaction) and proves the same check then catches lost updates.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import Chat, Message, Update, User
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database
from storage.fsm import SqlFsmStorage
from storage.setup import open_database
from storage.tables import dialogue_state, metadata
from tests.conftest import BACKENDS
from tests.integration.naive import _NoRowLocks, jitter
from tests.support import FrozenClock

RACE_ROUNDS = 20
RACERS = 20

sqlite_only = pytest.mark.parametrize("db", ["sqlite"], indirect=True)
pg_only = pytest.mark.parametrize("db", [p for p in BACKENDS if p != "sqlite"], indirect=True)


def key(chat: int = 100, user: int = 7, **extra: Any) -> StorageKey:
    return StorageKey(bot_id=42, chat_id=chat, user_id=user, **extra)


async def rows(db: Database) -> int:
    async with db.reading() as conn:
        return int(await conn.scalar(select(func.count()).select_from(dialogue_state)) or 0)


class Form(StatesGroup):
    name = State()
    qty = State()


# --- schema -------------------------------------------------------------------------------------


async def test_migration_creates_the_table_as_declared(db: Database) -> None:
    """Migration 0003 and storage.tables agree on dialogue_state (alembic's autogenerate diff)."""
    declared = MetaData(naming_convention=metadata.naming_convention)
    dialogue_state.to_metadata(declared)

    def differences(sync_conn: Any) -> list[Any]:
        ctx = MigrationContext.configure(
            sync_conn,
            opts={"compare_type": True, "include_name": lambda name, kind, _parent: kind != "table" or name == "dialogue_state"},
        )
        return list(compare_metadata(ctx, declared))

    async with db.write_engine.connect() as conn:
        assert await conn.run_sync(differences) == []


# --- state and data -----------------------------------------------------------------------------


async def test_state_and_data_are_stored_and_read_back(db: Database) -> None:
    storage = SqlFsmStorage(db)
    k = key()
    assert await storage.get_state(k) is None
    assert await storage.get_data(k) == {}

    await storage.set_state(k, Form.name)
    await storage.set_data(k, {"sku": "A-1", "qty": "2.5", "lines": [1, 2], "nested": {"ok": True}, "name": "螺丝"})

    assert await storage.get_state(k) == "Form:name"
    assert await storage.get_data(k) == {"sku": "A-1", "qty": "2.5", "lines": [1, 2], "nested": {"ok": True}, "name": "螺丝"}
    assert await storage.get_value(k, "sku") == "A-1"

    await storage.set_state(k, "Form:qty")  # setting the state keeps the data, and vice versa
    assert await storage.get_data(k) == {"sku": "A-1", "qty": "2.5", "lines": [1, 2], "nested": {"ok": True}, "name": "螺丝"}
    await storage.set_data(k, {"sku": "B-2"})
    assert await storage.get_state(k) == "Form:qty"
    assert await storage.get_data(k) == {"sku": "B-2"}

    assert await storage.update_data(k, {"qty": 3}) == {"sku": "B-2", "qty": 3}
    assert await storage.get_data(k) == {"sku": "B-2", "qty": 3}
    assert await rows(db) == 1


async def test_keys_are_isolated_by_every_part(db: Database) -> None:
    storage = SqlFsmStorage(db)
    base = key()
    variants = [
        base,
        key(chat=101),
        key(user=8),
        StorageKey(bot_id=43, chat_id=100, user_id=7),
        key(thread_id=5),
        key(business_connection_id="bc-1"),
        key(destiny="other"),
        key(thread_id=5, business_connection_id="bc-1", destiny="other"),
    ]
    for i, k in enumerate(variants):
        await storage.set_state(k, f"S:{i}")
        await storage.set_data(k, {"i": i})

    for i, k in enumerate(variants):
        assert await storage.get_state(k) == f"S:{i}"
        assert await storage.get_data(k) == {"i": i}
    assert await rows(db) == len(variants)

    # None and 0 / '' are the same key: the columns store a missing thread or connection that way.
    assert await storage.get_state(key(thread_id=0, business_connection_id="")) == "S:0"


async def test_clearing_state_and_data_deletes_the_row(db: Database) -> None:
    storage = SqlFsmStorage(db)
    k = key()
    await storage.set_state(k, Form.name)
    await storage.update_data(k, {"a": 1})
    assert await rows(db) == 1

    await storage.set_state(k, None)
    assert await rows(db) == 1  # the data still holds something
    assert await storage.get_data(k) == {"a": 1}
    await storage.set_data(k, {})
    assert await rows(db) == 0

    await storage.set_data(k, {"a": 1})
    await storage.set_data(k, {})
    await storage.set_state(k, None)  # clearing what is not there writes nothing
    assert await storage.update_data(k, {}) == {}
    assert await rows(db) == 0


async def test_fsm_context_works_with_it(db: Database) -> None:
    storage = SqlFsmStorage(db)
    ctx = FSMContext(storage, key())
    await ctx.set_state(Form.qty)
    await ctx.update_data(sku="A-1")
    await ctx.update_data({"qty": "4"}, note="rush")

    assert await ctx.get_state() == Form.qty.state
    assert await ctx.get_data() == {"sku": "A-1", "qty": "4", "note": "rush"}
    assert await ctx.get_value("note") == "rush"

    await ctx.clear()
    assert await ctx.get_state() is None
    assert await rows(db) == 0


async def test_a_dispatcher_keeps_a_dialogue_in_it(db: Database) -> None:
    """A two-step dialogue through aiogram's Dispatcher: the state routes the second message."""
    storage = SqlFsmStorage(db)
    dp = Dispatcher(storage=storage)
    seen: list[tuple[str, dict[str, Any]]] = []

    @dp.message(CommandStart())
    async def start(message: Message, state: FSMContext) -> None:
        await state.set_state(Form.name)
        await state.update_data(started_by=message.from_user.id if message.from_user else None)

    @dp.message(Form.name, F.text)
    async def got_name(message: Message, state: FSMContext) -> None:
        seen.append((message.text or "", await state.get_data()))
        await state.clear()

    bot = Bot(token="42:TEST")

    def update(update_id: int, text: str) -> Update:
        return Update(
            update_id=update_id,
            message=Message(
                message_id=update_id,
                date=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
                chat=Chat(id=555, type="private"),
                from_user=User(id=555, is_bot=False, first_name="Li"),
                text=text,
            ),
        )

    try:
        await dp.feed_update(bot, update(1, "/start"))
        assert await storage.get_state(StorageKey(bot_id=42, chat_id=555, user_id=555)) == "Form:name"
        await dp.feed_update(bot, update(2, "Widget"))
    finally:
        await bot.session.close()

    assert seen == [("Widget", {"started_by": 555})]
    assert await rows(db) == 0


@sqlite_only
async def test_it_survives_closing_and_reopening_the_database(db: Database) -> None:
    k = key(thread_id=9)
    await SqlFsmStorage(db).set_state(k, Form.qty)
    await SqlFsmStorage(db).update_data(k, {"sku": "A-1"})
    await db.dispose()

    reopened = await open_database(db.url)
    try:
        storage = SqlFsmStorage(reopened)
        assert await storage.get_state(k) == "Form:qty"
        assert await storage.get_data(k) == {"sku": "A-1"}
    finally:
        await reopened.dispose()


# --- data must be JSON ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"qty": Decimal("2.5")}, "data['qty'] is a Decimal"),
        ({"lines": [{"at": object()}]}, "data['lines'][0]['at'] is a object"),
        ({"pair": (1, 2)}, "data['pair'] is a tuple"),
        ({"by_id": {1: "x"}}, "key 1 that is not a string"),
        ({"x": float("nan")}, "data['x'] is nan"),
    ],
)
async def test_data_that_is_not_json_is_refused(db: Database, bad: dict[str, Any], named: str) -> None:
    storage = SqlFsmStorage(db)
    k = key()
    await storage.set_data(k, {"kept": 1})
    for write in (storage.set_data, storage.update_data):
        with pytest.raises(ValueError, match="dialogue data must be JSON") as refused:
            await write(k, bad)
        assert named in str(refused.value)
    assert await storage.get_data(k) == {"kept": 1}


# --- inactivity timeout ---------------------------------------------------------------------------


async def test_a_dialogue_idle_longer_than_the_ttl_reads_as_empty_and_is_deleted(db: Database) -> None:
    clock = FrozenClock()
    storage = SqlFsmStorage(db, ttl=timedelta(minutes=30), clock=clock)
    k, other = key(), key(user=8)
    await storage.set_state(k, Form.name)
    await storage.set_data(k, {"sku": "A-1"})
    await storage.set_state(other, Form.name)

    clock.advance(minutes=30)  # exactly the ttl: still alive
    assert await storage.get_state(k) == "Form:name"
    await storage.update_data(other, {"touched": True})  # a write keeps a dialogue alive

    clock.advance(seconds=1)
    assert await storage.get_state(k) is None
    assert await storage.get_data(k) == {}
    assert await rows(db) == 1  # k deleted lazily; other lives on
    assert await storage.get_state(other) == "Form:name"


async def test_writing_to_an_expired_dialogue_starts_afresh(db: Database) -> None:
    clock = FrozenClock()
    storage = SqlFsmStorage(db, ttl=timedelta(minutes=30), clock=clock)
    a, b, c = key(user=1), key(user=2), key(user=3)
    for k in (a, b, c):
        await storage.set_state(k, Form.name)
        await storage.set_data(k, {"old": True})

    clock.advance(hours=1)
    await storage.set_state(a, Form.qty)  # old data must not come back to life
    await storage.set_data(b, {"new": True})  # nor the old state
    assert await storage.update_data(c, {"new": True}) == {"new": True}

    assert (await storage.get_state(a), await storage.get_data(a)) == ("Form:qty", {})
    assert (await storage.get_state(b), await storage.get_data(b)) == (None, {"new": True})
    assert (await storage.get_state(c), await storage.get_data(c)) == (None, {"new": True})


async def test_purge_expired_deletes_idle_dialogues_in_bulk(db: Database) -> None:
    clock = FrozenClock()
    storage = SqlFsmStorage(db, ttl=timedelta(hours=1), clock=clock)
    for user in range(5):
        await storage.set_state(key(user=user), Form.name)
    clock.advance(minutes=45)
    await storage.set_state(key(user=99), Form.name)

    assert await storage.purge_expired(clock.current + timedelta(minutes=30)) == 5
    assert await rows(db) == 1
    assert await storage.purge_expired() == 0  # the clock's now: nothing older than an hour
    assert await SqlFsmStorage(db).purge_expired() == 0  # no ttl: nothing ever expires
    assert await storage.get_state(key(user=99)) == "Form:name"


# --- races ----------------------------------------------------------------------------------------


async def racing_updates(storage: BaseStorage, rounds: int = RACE_ROUNDS) -> list[int]:
    """Each round, RACERS concurrent update_data calls each add their own key to one StorageKey;
    returns how many keys each round ended with."""
    found = []
    for round_no in range(rounds):
        k = key(chat=1000 + round_no)
        await storage.set_state(k, Form.name)
        await asyncio.gather(*(storage.update_data(k, {f"k{i}": i}) for i in range(RACERS)))
        found.append(len(await storage.get_data(k)))
    return found


async def test_concurrent_update_data_loses_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two quick messages from one user must not lose an update. Catches the naive update_data
    (aiogram's BaseStorage default: get_data, then set_data, outside one transaction) and, on
    PostgreSQL, a read-merge-write in one transaction without SELECT ... FOR UPDATE: both lost
    keys in every round (see the a_naive tests below). A pause between the locked read and the
    write lets the calls interleave."""
    jitter(monkeypatch, SqlFsmStorage, "_locked_row", random.Random(7))
    assert await racing_updates(SqlFsmStorage(db)) == [RACERS] * RACE_ROUNDS


class NaiveFsmStorage(SqlFsmStorage):
    """aiogram's default update_data: read on one connection, merge, write on another."""

    async def update_data(self, key: StorageKey, data: Any) -> dict[str, Any]:
        return await BaseStorage.update_data(self, key, data)


class UnlockedFsmStorage(SqlFsmStorage):
    """Read, merge and write in one transaction, but the read takes no row lock."""

    async def _locked_row(self, conn: AsyncConnection, key: StorageKey, now: Any) -> Any:
        return await super()._locked_row(_NoRowLocks(conn), key, now)  # type: ignore[arg-type]


async def test_a_naive_get_then_set_update_data_loses_updates(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    jitter(monkeypatch, SqlFsmStorage, "get_data", random.Random(7))
    found = await racing_updates(NaiveFsmStorage(db), rounds=3)
    assert min(found) < RACERS, found


@pg_only
async def test_a_naive_update_data_without_for_update_loses_updates_on_postgresql(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    jitter(monkeypatch, SqlFsmStorage, "_locked_row", random.Random(7))
    found = await racing_updates(UnlockedFsmStorage(db), rounds=3)
    assert min(found) < RACERS, found
