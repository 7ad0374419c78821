"""The composition root: everything the application needs, built in one place at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from domain.services.base import Env
from domain.services.bus import Bus
from storage.database import Database
from storage.setup import open_database
from storage.uow import SqlUnitOfWorkFactory


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    db: Database
    bus: Bus

    async def close(self) -> None:
        await self.db.dispose()


def make_env(settings: Settings, clock: SystemClock | None = None) -> Env:
    return Env(
        clock=clock or SystemClock(),
        policy=settings.approval.policy(),
        receipt_tolerance=settings.receiving.over_receipt_tolerance_percent / 100,
        timezone=ZoneInfo(settings.company.timezone),
        currency=settings.company.currency,
    )


async def build_app(settings: Settings, *, clock: SystemClock | None = None) -> App:
    """Open (and migrate) the database, register the configured admins, wire the bus."""
    db = await open_database(settings.database.url, admins=[(uid, f"admin {uid}") for uid in settings.access.admins])
    return App(settings, db, Bus(SqlUnitOfWorkFactory(db), make_env(settings, clock)))
