"""Delivery targets coming back: a person who unblocked the bot, a group that let it back in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, update

from storage.database import Database
from storage.tables import chat_targets
from storage.uow import SqlUnitOfWork


def refuses(chat_id: ColumnElement[int]) -> ColumnElement[bool]:
    """The chat blocked the bot or removed it; a chat it never heard from does not refuse."""
    ct = chat_targets.c
    # Its own chat_targets: the enclosing query may join that table too (routing does, for the language).
    return exists().where(ct.chat_id == chat_id, ct.active.is_(False)).correlate_except(chat_targets)


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
