"""Low-stock episodes (RELIABILITY T12): one alert per item per episode, a storm of them
aggregated for a group, two transactions opening one episode at once alerting once, a sweep and
a sale locking episodes at once without a deadlock (PostgreSQL), and PO edits that raise inbound
closing an episode. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select, text, update

from domain import commands as c
from domain.alerts import ChatPlace
from domain.events import Event, PurchaseOrderChanged, PurchaseOrderRevised, StockFellBelowReorderPoint
from domain.services.bus import Bus
from notifications import jobs
from notifications.messages import OutMessage
from notifications.render import Renderer, visible_length
from notifications.router import RouteDeps, route_pending
from storage import episodes
from storage.bindings import SqlAlertBindings
from storage.database import Database
from storage.tables import alert_episodes, audit_log, deliveries, items, outbox, stock_balances, warehouses
from storage.uow import SqlUnitOfWork
from storage.views import low_stock
from tests.conftest import BACKENDS
from tests.support import ADMIN, BUYER, SALES, WAREHOUSE, World, q

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
    """What the periodic sweep does: find the items low now, lock their episodes and every open
    one (closing those that recovered), raise the event for every item low now, and leave the
    rest to the episodes."""
    async with SqlUnitOfWork(world.db) as uow:
        low = await low_stock(uow.conn)
        await episodes.sweep(uow.conn, world.clock.now(), [line.item_id for line in low])
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


async def many_items(db: Database, count: int, prefix: str = "S", on_hand: int = 0) -> list[tuple[int, str]]:
    """`count` items with a reorder point of 10 and `on_hand` in stock (low from the start)."""
    rows = [
        {
            "sku": f"{prefix}-{n:04d}",
            "sku_key": f"{prefix.lower()}-{n:04d}",
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
            await uow.conn.execute(select(items.c.id, items.c.sku).where(items.c.sku.like(f"{prefix}-%")).order_by(items.c.id))
        ).all()
        main = await uow.conn.scalar(select(warehouses.c.id).where(warehouses.c.code == "MAIN"))
        await uow.conn.execute(
            insert(stock_balances),
            [{"item_id": r.id, "warehouse_id": main, "on_hand": Decimal(on_hand), "reserved": 0} for r in found],
        )
        await uow.commit()
    return [(r.id, r.sku) for r in found]


async def set_stock(db: Database, ids: Sequence[int], on_hand: int) -> None:
    async with SqlUnitOfWork(db) as uow:
        await uow.conn.execute(update(stock_balances).where(stock_balances.c.item_id.in_(ids)).values(on_hand=Decimal(on_hand)))
        await uow.commit()


async def no_card(*_: Any) -> OutMessage:
    raise AssertionError("low stock draws no card")


async def no_digest(*_: Any) -> dict[str, list[OutMessage]]:
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


# --- a sweep and a sale locking episodes at once (PostgreSQL) ----------------------------------

pg_only = pytest.mark.parametrize("db", [BACKENDS[1]], indirect=True)


async def blocked_by(db: Database, pid: int, seconds: float = 5.0) -> bool:
    """Whether some session comes to wait for a lock the session `pid` holds, within `seconds`."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE CAST(:pid AS integer) = ANY(pg_blocking_pids(pid))")
    for _ in range(int(seconds / 0.005)):
        async with db.reading() as conn:
            if await conn.scalar(query, {"pid": pid}):
                return True
        await asyncio.sleep(0.005)
    return False


async def sweep_against_sale(world: World, monkeypatch: pytest.MonkeyPatch, rounds: int) -> tuple[list[str], list[bool]]:
    """Each round, two new items X and Y (key of X < key of Y), both low with 5 in stock, Y's
    episode open, X without an episode row. The sweep runs up to its commit (its episode locks
    taken, X to announce), a sale confirming one of each commits meanwhile and waits for the
    sweep, then the sweep commits. Returns what failed (the sale is not retried: the bus would
    hide a deadlock behind a retry), and per round whether the sale did wait for the sweep (the
    interleaving happened)."""
    real = episodes.settle
    sweep_ready = asyncio.Event()
    waited: list[bool] = []

    async def sweep_waits_for_the_sale(conn: Any, events: Sequence[Event], now: Any) -> list[Event]:
        if any(e.source == "scheduler" for e in events):
            pid = int(await conn.scalar(text("SELECT pg_backend_pid()")))
            sweep_ready.set()
            waited.append(await blocked_by(world.db, pid))
        return await real(conn, events, now)

    monkeypatch.setattr("storage.uow.settle_episodes", sweep_waits_for_the_sale)
    once = Bus(world.bus.uow_factory, world.env, retries=1)  # a deadlock fails the sale, not retried away
    failed: list[str] = []
    for n in range(rounds):
        pair = await many_items(world.db, 2, prefix=f"R{n}", on_hand=5)
        (x, x_sku), (y, y_sku) = sorted(pair, key=lambda item: episodes.episode_key(item[0]))
        async with SqlUnitOfWork(world.db) as uow:
            await uow.conn.execute(
                insert(alert_episodes).values(key=episodes.episode_key(y), episode=1, open=True, updated_at=world.clock.now())
            )
            await uow.commit()
        so = await world.do(
            c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=((y_sku, q(1), q(10)), (x_sku, q(1), q(10))))
        )
        sweep_ready.clear()

        async def sale(number: str) -> None:
            await sweep_ready.wait()
            await once.handle(c.ConfirmSalesOrder(actor_id=SALES, so=number))

        run, sold = await asyncio.gather(
            jobs.low_stock_sweep(world.db, now=world.clock.now(), period=f"race {n}"), sale(so.number), return_exceptions=True
        )
        if isinstance(run, BaseException) or run.outcome != "ok":
            failed.append(f"sweep: {run}")
        if isinstance(sold, BaseException):
            failed.append(f"sale: {sold!r}")
    return failed, waited


@pg_only
async def test_a_sweep_and_a_sale_locking_two_items_in_opposite_orders_never_deadlock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches the naive lock order (see the next test): the sweep locking every open episode
    first (Y) and inserting the rows of the items it announces at commit (X), while the sale
    inserts X and then locks X and Y; PostgreSQL then reports "deadlock detected" and one of them
    fails. With one ordered locking step per transaction, 20 rounds: no failure, the sale waits
    for the sweep each time, and each X alerts once (the sweep's; the sale finds it open)."""
    rounds = 20

    failed, waited = await sweep_against_sale(world, monkeypatch, rounds)

    assert failed == []
    assert waited == [True] * rounds
    keys = await low_rows(world)
    assert len(keys) == rounds + 1  # and A-1 of the seeded company, low from the start
    assert all(key.endswith(":1") for key in keys)
    assert await world.count(alert_episodes, alert_episodes.c.open.is_(True)) == 2 * rounds + 1  # every X and Y, and A-1
    assert await world.count(stock_balances, stock_balances.c.reserved == 1) == 2 * rounds  # every sale went through


@pg_only
async def test_the_naive_lock_order_deadlocks_in_the_sweep_and_sale_race(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Proves the test above has teeth: a sweep that locks the open episodes first and leaves
    the rows of the items it announces to its commit deadlocks with the sale."""

    async def open_ones_first(conn: Any, now: Any, low_ids: Any) -> set[int]:
        e = alert_episodes.c
        query = select(e.key).where(e.open.is_(True)).order_by(e.key).with_for_update()
        return set(low_ids) - {int(k.removeprefix(episodes.PREFIX)) for k in (await conn.scalars(query)).all()}

    monkeypatch.setattr(episodes, "sweep", open_ones_first)

    failed, _ = await sweep_against_sale(world, monkeypatch, 2)

    assert len(failed) == 2 and all("deadlock detected" in f for f in failed), failed


# --- PO edits raising inbound -------------------------------------------------------------------


async def test_po_edits_and_revisions_count_as_raising_inbound_while_the_po_is_open_for_receiving(world: World) -> None:
    """Catches risen_items ignoring PurchaseOrderChanged and PurchaseOrderRevised (an episode
    would stay open until the next sweep), and counting the lines of a PO not open for receiving."""
    a1 = await item_id(world, "A-1")
    po = await world.approved_po((("A-1", 10, "2"),))
    draft = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("B-2", q(5), q(1)),)))
    at = world.clock.now()

    async with world.db.reading() as conn:
        changed = await episodes.risen_items(
            conn, [PurchaseOrderChanged(at=at, actor_id=BUYER, source="chat", ref=po, change="qty", total=q(60))]
        )
        revised = await episodes.risen_items(conn, [PurchaseOrderRevised(at=at, actor_id=BUYER, source="chat", ref=po)])
        in_draft = await episodes.risen_items(
            conn, [PurchaseOrderChanged(at=at, actor_id=BUYER, source="chat", ref=draft.number, change="qty", total=q(5))]
        )

    assert changed == revised == {a1}
    assert in_draft == set()


async def test_raising_an_approved_po_line_closes_the_episode_at_commit_and_the_next_drop_alerts_again(world: World) -> None:
    a1 = await item_id(world, "A-1")  # reorder point 20, nothing in stock
    await sweep(world)  # episode 1
    po = await world.approved_po((("A-1", 2, "2"),))  # 4 yuan: approved at once; projected 2, still low

    await world.do(c.EditPurchaseOrder(actor_id=BUYER, po=po, sku="A-1", qty=q(30)))  # projected 30
    async with world.db.reading() as conn:
        after_raise = (
            await conn.execute(
                select(alert_episodes.c.episode, alert_episodes.c.open).where(alert_episodes.c.key == episodes.episode_key(a1))
            )
        ).all()
    await world.do(c.EditPurchaseOrder(actor_id=BUYER, po=po, sku="A-1", qty=q(5)))  # projected 5: low again
    await sweep(world)

    assert [tuple(r) for r in after_raise] == [(1, False)]  # closed by the edit's own commit, no sweep
    assert await low_rows(world) == [f"low_stock:{a1}:1", f"low_stock:{a1}:2"]
