"""Most updates come from people who are not in a dialogue; asking the database "any dialogue
for this person?" on every one of them would double the reads of a /stock. This remembers who
has no dialogue, write-through, in this process.

It assumes one bot process owns the SQL dialogue store (the single-machine deployment);
several webhook workers use Redis for dialogue state instead (see the README), uncached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.fsm import SqlFsmStorage


class NoDialogueCache(BaseStorage):
    def __init__(self, inner: SqlFsmStorage, capacity: int = 50_000) -> None:
        self.inner, self.capacity = inner, capacity
        self._idle: OrderedDict[StorageKey, None] = OrderedDict()

    def _mark(self, key: StorageKey, idle: bool) -> None:
        if not idle:
            self._idle.pop(key, None)
            return
        self._idle[key] = None
        self._idle.move_to_end(key)
        if len(self._idle) > self.capacity:
            self._idle.popitem(last=False)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        self._mark(key, False)
        await self.inner.set_state(key, state)

    async def get_state(self, key: StorageKey) -> str | None:
        if key in self._idle:
            return None
        state, data = await self.inner.record(key)
        if state is None and not data:
            self._mark(key, True)
        return state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        self._mark(key, False)
        await self.inner.set_data(key, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        if key in self._idle:
            return {}
        return await self.inner.get_data(key)

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        self._mark(key, False)
        return await self.inner.update_data(key, data)

    async def close(self) -> None:
        await self.inner.close()
