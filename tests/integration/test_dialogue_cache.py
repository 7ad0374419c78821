"""bot.state_cache.NoDialogueCache over the SQL dialogue store: a person with no dialogue costs one
read, once; a dialogue started or data stored is seen at once; a stored dialogue is never hidden."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.storage.base import StorageKey

from bot.state_cache import NoDialogueCache
from storage.database import Database
from storage.fsm import SqlFsmStorage

KEY = StorageKey(bot_id=1, chat_id=50, user_id=50)


class _Counting(SqlFsmStorage):
    reads = 0

    async def _read(self, key: StorageKey) -> Any:
        self.reads += 1
        return await super()._read(key)


async def test_an_idle_person_costs_one_read_once(db: Database) -> None:
    inner = _Counting(db)
    cache = NoDialogueCache(inner)

    assert [await cache.get_state(KEY) for _ in range(5)] == [None] * 5
    assert await cache.get_data(KEY) == {}
    assert inner.reads == 1


async def test_a_started_dialogue_and_stored_data_are_seen_at_once(db: Database) -> None:
    cache = NoDialogueCache(_Counting(db))
    assert await cache.get_state(KEY) is None

    await cache.set_state(KEY, "po:lines")
    assert await cache.get_state(KEY) == "po:lines"
    await cache.set_state(KEY, None)
    await cache.update_data(KEY, {"draft": "PO-1"})
    assert (await cache.get_state(KEY), await cache.get_data(KEY)) == (None, {"draft": "PO-1"})


async def test_a_dialogue_stored_before_a_restart_is_found(db: Database) -> None:
    await SqlFsmStorage(db).set_state(KEY, "so:lines")
    await SqlFsmStorage(db).set_data(StorageKey(bot_id=1, chat_id=51, user_id=51), {"half": "typed"})
    restarted = NoDialogueCache(SqlFsmStorage(db))

    assert await restarted.get_state(KEY) == "so:lines"
    other = StorageKey(bot_id=1, chat_id=51, user_id=51)
    assert (await restarted.get_state(other), await restarted.get_data(other)) == (None, {"half": "typed"})
