"""Named counters for readable, gap-free-per-commit numbers (PO-2026-00042)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import sequences
from storage.upsert import insert_ignore


class SqlSequences:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def next(self, name: str) -> int:
        # The increment is one atomic statement; the row lock it takes serialises concurrent
        # callers until commit, so two transactions can never see the same value.
        await self.conn.execute(insert_ignore(self.conn, sequences, ["name"]).values(name=name, value=0))
        value = await self.conn.scalar(
            update(sequences).where(sequences.c.name == name).values(value=sequences.c.value + 1).returning(sequences.c.value)
        )
        assert value is not None
        return int(value)
