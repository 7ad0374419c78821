"""Personal settings (domain.ports.Preferences): the language a person picked and the alert
kinds they turned off. Each write is one idempotent statement in its own short transaction."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from domain.errors import InvalidInput, NotFound
from domain.master import LANGUAGES
from storage.database import Database
from storage.tables import alert_mutes, users
from storage.upsert import insert_ignore


class SqlPreferences:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_language(self, user_id: int, language: str) -> None:
        if language not in LANGUAGES:
            raise InvalidInput("language", language, "unknown_language")
        async with self.db.write_engine.begin() as conn:
            done = await conn.execute(update(users).where(users.c.id == user_id).values(language=language, language_chosen=True))
            if not done.rowcount:
                raise NotFound("user", user_id)

    async def follow_app_language(self, user_id: int, language: str) -> None:
        if language not in LANGUAGES:
            return
        async with self.db.write_engine.begin() as conn:
            await conn.execute(
                update(users)
                .where(users.c.id == user_id, users.c.language_chosen.is_(False), users.c.language != language)
                .values(language=language)
            )

    async def muted(self, user_id: int) -> frozenset[str]:
        async with self.db.reading() as conn:
            kinds = (await conn.scalars(select(alert_mutes.c.kind).where(alert_mutes.c.user_id == user_id))).all()
        return frozenset(kinds)

    async def set_muted(self, user_id: int, kind: str, muted: bool) -> None:
        async with self.db.write_engine.begin() as conn:
            if muted:  # a double tap inserts nothing the second time
                statement = insert_ignore(conn, alert_mutes, ["user_id", "kind"]).values(user_id=user_id, kind=kind)
                await conn.execute(statement)
            else:
                await conn.execute(delete(alert_mutes).where(alert_mutes.c.user_id == user_id, alert_mutes.c.kind == kind))
