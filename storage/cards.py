"""Where the bot's copies of each PO/SO card are, and what each shows, so a decision can edit
every one of them, and only those that would change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from storage.database import Database
from storage.tables import card_copies
from storage.uow import SqlUnitOfWork
from storage.upsert import insert_ignore

KEEP_PER_CARD = 50  # the newest copies of one order; older ones have scrolled out of sight


@dataclass(frozen=True, slots=True)
class CardCopy:
    chat_id: int
    message_id: int
    viewer_id: int | None
    lang: str
    digest: str


class SqlCardCopies:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def remember(self, kind: str, ref: str, copy: CardCopy) -> None:
        async with SqlUnitOfWork(self.db) as uow:
            stmt = insert_ignore(uow.conn, card_copies, ["chat_id", "message_id"])
            values = {"kind": kind, "ref": ref, "at": datetime.now(UTC)}
            await uow.conn.execute(
                stmt.values(
                    chat_id=copy.chat_id,
                    message_id=copy.message_id,
                    viewer_id=copy.viewer_id,
                    lang=copy.lang,
                    digest=copy.digest,
                    **values,
                )
            )
            await uow.commit()

    async def of(self, kind: str, ref: str) -> list[CardCopy]:
        c = card_copies.c
        async with self.db.reading() as conn:
            rows = (
                await conn.execute(
                    select(c.chat_id, c.message_id, c.viewer_id, c.lang, c.digest)
                    .where(c.kind == kind, c.ref == ref)
                    .order_by(c.at.desc())
                    .limit(KEEP_PER_CARD)
                )
            ).all()
        return [CardCopy(r.chat_id, r.message_id, r.viewer_id, r.lang, r.digest) for r in rows]

    async def shows(self, chat_id: int, message_id: int, digest: str) -> None:
        c = card_copies.c
        async with SqlUnitOfWork(self.db) as uow:
            where = (c.chat_id == chat_id) & (c.message_id == message_id)
            await uow.conn.execute(update(card_copies).where(where).values(digest=digest))
            await uow.commit()

    async def forget(self, chat_id: int, message_id: int) -> None:
        c = card_copies.c
        async with SqlUnitOfWork(self.db) as uow:
            await uow.conn.execute(delete(card_copies).where(c.chat_id == chat_id, c.message_id == message_id))
            await uow.commit()
