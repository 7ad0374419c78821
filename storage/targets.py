"""Delivery targets coming back: a person who unblocked the bot, a group that let it back in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from storage.database import Database
from storage.tables import chat_targets
from storage.uow import SqlUnitOfWork


class SqlChatTargets:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def reachable(self, chat_id: int, at: datetime) -> bool:
        ct = chat_targets.c
        async with SqlUnitOfWork(self.db) as uow:
            done = await uow.conn.execute(
                update(chat_targets)
                .where(ct.chat_id == chat_id, ct.active.is_(False))
                .values(active=True, inactive_reason=None, updated_at=at)
            )
            await uow.commit()
        return bool(done.rowcount)
