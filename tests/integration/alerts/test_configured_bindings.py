"""Bindings from config.toml `[alerts] bindings`, applied at start."""

from __future__ import annotations

from sqlalchemy import select

from bot.config import AlertsConfig, BindingConfig
from domain.alerts import KINDS, ChatPlace
from storage.bindings import SqlAlertBindings, apply_configured_bindings
from storage.tables import alert_bindings
from tests.support import ADMIN, World


async def bound(world: World) -> set[tuple[int, int, str, int | None]]:
    b = alert_bindings.c
    async with world.db.reading() as conn:
        return {tuple(r) for r in (await conn.execute(select(b.chat_id, b.thread_id, b.kind, b.created_by))).all()}


async def test_configured_bindings_are_applied_once_and_follow_the_file_without_touching_bind(world: World) -> None:
    await SqlAlertBindings(world.db).bind(ChatPlace(-5, 0, "group", "Ops"), ["receipt"], ADMIN, "en", world.clock.now())
    first = AlertsConfig(
        bindings=[
            BindingConfig(chat_id=-5, kinds=["receipt", "low_stock"]),
            BindingConfig(chat_id=-7, thread_id=3, kinds=["all"]),
        ]
    )

    added = await apply_configured_bindings(world.db, first, world.clock.now())
    again = await apply_configured_bindings(world.db, first, world.clock.now())
    await apply_configured_bindings(world.db, AlertsConfig(bindings=[BindingConfig(chat_id=-5, kinds=["low_stock"])]))

    assert (added, again) == (1 + len(KINDS), 0)
    assert await bound(world) == {(-5, 0, "receipt", ADMIN), (-5, 0, "low_stock", None)}
