"""Low-stock episodes (RELIABILITY T12): one alert per item per episode, a storm of them
aggregated for a group, and two transactions opening one episode at once alerting once.
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, update

from domain import commands as c
from domain.alerts import ChatPlace
from domain.events import Event, StockFellBelowReorderPoint
from notifications.messages import OutMessage
from notifications.render import Renderer, visible_length
from notifications.router import RouteDeps, route_pending
from storage import episodes
from storage.bindings import SqlAlertBindings
from storage.database import Database
from storage.episodes import close_recovered
from storage.tables import alert_episodes, audit_log, deliveries, items, outbox, stock_balances, warehouses
from storage.uow import SqlUnitOfWork
from storage.views import low_stock
from tests.support import ADMIN, BUYER, WAREHOUSE, World, q

GROUP = -100
LOW = "StockFellBelowReorderPoint"


async def low_rows(world: World) -> list[str]:
    async with world.db.reading() as conn:
        return list((await conn.scalars(select(outbox.c.dedup_key).where(outbox.c.kind == LOW).order_by(outbox.c.id))).all())


async def item_id(world: World, sku: str) -> int:
    async with world.bus.uow_factory() as uow:
        item = await uow.items.by_sku(sku)
        assert item.id is not None
        return item.id


def low_event(world: World, item: int, sku: str, projected: Decimal = Decimal(0)) -> StockFellBelowReorderPoint:
    return StockFellBelowReorderPoint(
        at=world.clock.now(),
        actor_id=None,
        source="scheduler",
        ref=sku,
        item_id=item,
        item_name=f"Item {sku}",
        projected=projected,
        reorder_point=Decimal(10),
        suggested_qty=Decimal(50),
    )


async def sweep(world: World) -> None:
    """What the periodic sweep does: close the episodes of items that recovered, raise the
    event for every item low now, and leave the rest to the episodes."""
    async with SqlUnitOfWork(world.db) as uow:
        await close_recovered(uow.conn, world.clock.now())
        low = await low_stock(uow.conn)
        uow.record([low_event(world, line.item_id, line.sku, line.projected) for line in low])
        await uow.commit()


async def adjust(world: World, delta: int) -> None:
    await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=q(delta), reason="count"))


async def test_t12_an_item_oscillating_around_its_reorder_point_alerts_once_per_episode(world: World) -> None:
    """Catches the naive version without episodes (every lowering change, and every sweep, that
    finds the item low writes an alert): 100 dips with repeats inside them and sweeps between."""
    await adjust(world, 22)  # A-1's reorder point is 20
    a1 = await item_id(world, "A-1")

    for cycle in range(100):
        await adjust(world, -5)  # 17: low, a new episode
        if cycle % 25 == 0:
            await adjust(world, -1)  # lower still: the same episode
            await sweep(world)  # the sweep finds it low: the same episode
            await adjust(world, 1)
        await adjust(world, 5)  # 22: recovered, the episode closes

    assert await low_rows(world) == [f"low_stock:{a1}:{n}" for n in range(1, 101)]
    assert await world.count(audit_log, audit_log.c.action == LOW) == 100
    assert await world.count(alert_episodes, alert_episodes.c.open.is_(True)) == 0


async def many_items(db: Database, count: int) -> list[tuple[int, str]]:
    """`count` items with a reorder point of 10 and nothing in stock (low from the start)."""
    rows = [
        {
            "sku": f"S-{n:04d}",
            "sku_key": f"s-{n:04d}",
            "name": f"Storm item {n} 风暴",
            "unit": "pcs",
            "reorder_point": Decimal(10),
            "reorder_qty": Decimal(50),
            "pack_size": Decimal(1),
            "lead_time_days": 0,
            "active": True,
            "version": 0,
        }
        for n in range(count)
    ]
    async with SqlUnitOfWork(db) as uow:
        await uow.conn.execute(insert(items), rows)
        found = (
            await uow.conn.execute(select(items.c.id, items.c.sku).where(items.c.sku.like("S-%")).order_by(items.c.id))
        ).all()
        main = await uow.conn.scalar(select(warehouses.c.id).where(warehouses.c.code == "MAIN"))
        await uow.conn.execute(
            insert(stock_balances), [{"item_id": r.id, "warehouse_id": main, "on_hand": 0, "reserved": 0} for r in found]
        )
        await uow.commit()
    return [(r.id, r.sku) for r in found]


async def set_stock(db: Database, ids: Sequence[int], on_hand: int) -> None:
    async with SqlUnitOfWork(db) as uow:
        await uow.conn.execute(update(stock_balances).where(stock_balances.c.item_id.in_(ids)).values(on_hand=Decimal(on_hand)))
        await uow.commit()


async def no_card(*_: Any) -> OutMessage:
    raise AssertionError("low stock draws no card")


async def no_digest(*_: Any) -> list[OutMessage]:
    raise AssertionError("no digest here")


async def test_t12_five_hundred_items_crossing_at_once_reach_a_group_in_a_few_messages_and_none_is_lost(world: World) -> None:
    """Catches routing one message per alert (500 messages: 25 minutes of a group's flood limit)
    and an aggregation that drops or cuts items."""
    storm = await many_items(world.db, 500)
    await SqlAlertBindings(world.db).bind(
        ChatPlace(GROUP, 0, "supergroup", "Buyers"), ["low_stock"], ADMIN, "en", world.clock.now()
    )

    await sweep(world)
    await sweep(world)  # the next run finds them all still low: every episode is open
    deps = RouteDeps(Renderer(ZoneInfo("Asia/Shanghai")), no_card, no_digest)
    while await route_pending(world.db, deps, world.clock.now()):
        pass

    assert len(await low_rows(world)) == 501  # and A-1 of the seeded company: low from the start
    assert await world.count(outbox, outbox.c.status != "routed") == 0
    async with world.db.reading() as conn:
        rows = (await conn.execute(select(deliveries.c.chat_id, deliveries.c.text).order_by(deliveries.c.id))).all()
    to_group = [r.text for r in rows if r.chat_id == GROUP]
    assert 1 < len(to_group) <= 20
    assert max(visible_length(text) for text in to_group) <= 4096
    listed = "\n".join(to_group)
    assert all(listed.count(f"<code>{sku}</code>") == 1 for _, sku in storm)
    assert [r.text for r in rows if r.chat_id == BUYER] != []  # the buyers get the list too


async def test_t12_the_sweep_closes_recovered_episodes_and_a_new_drop_alerts_again(world: World) -> None:
    storm = await many_items(world.db, 40)
    ids = [i for i, _ in storm]
    await sweep(world)

    await set_stock(world.db, ids[:20], 10)  # at the reorder point: recovered
    await sweep(world)
    after_recovery = len(await low_rows(world))
    await set_stock(world.db, ids[:20], 3)
    await sweep(world)

    assert after_recovery == 41  # A-1 of the seeded company is low too
    assert len(await low_rows(world)) == 61
    async with world.db.reading() as conn:
        second = await conn.scalar(select(func.count()).where(alert_episodes.c.episode == 2))
    assert second == 20


async def raise_low(db: Database, event: Event, gate: asyncio.Barrier | None) -> None:
    async with SqlUnitOfWork(db) as uow:
        if gate is not None:  # both transactions open before either commits
            await uow.conn.execute(select(1))
            await gate.wait()
        uow.record([event])
        await uow.commit()


async def race(world: World, rounds: int) -> None:
    """Each round: the episode closed, then two transactions raising the item's event at once
    (on SQLite the single writer serialises them: no barrier, which would wait forever)."""
    a1 = await item_id(world, "A-1")
    event = low_event(world, a1, "A-1")
    for _ in range(rounds):
        async with SqlUnitOfWork(world.db) as uow:
            await uow.conn.execute(update(alert_episodes).values(open=False))
            await uow.commit()
        gate = None if world.db.is_sqlite else asyncio.Barrier(2)
        await asyncio.gather(raise_low(world.db, event, gate), raise_low(world.db, event, gate))


async def test_t12_two_transactions_opening_one_episode_at_once_alert_once(world: World) -> None:
    await race(world, 20)

    assert len(await low_rows(world)) == 20
    assert await world.count(audit_log, audit_log.c.action == LOW) == 20


async def test_a_naive_episode_free_version_alerts_twice_in_the_race(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves the race test has teeth: without episodes (no lock, no dedup key) both alert."""

    async def no_episodes(conn: Any, events: Sequence[Event], now: Any) -> list[Event]:
        return list(events)

    monkeypatch.setattr(episodes, "settle", no_episodes)
    monkeypatch.setattr("storage.uow.settle_episodes", no_episodes)

    await race(world, 3)

    assert len(await low_rows(world)) == 6
