"""The scheduler's jobs on a small company with a frozen clock: what each writes to the outbox,
once per order per day, per reminder slot, and the digest once per day across restarts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from bot.config import Settings
from domain import commands as c
from notifications import jobs
from notifications.scheduling import start_scheduler
from storage import jobs as runs
from storage import views
from storage.database import Database
from storage.tables import outbox
from tests.support import BUYER, MANAGER, WAREHOUSE, FrozenClock, World, q

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def alerts(db: Database, kind: str) -> list[dict[str, Any]]:
    async with db.reading() as conn:
        rows = (await conn.execute(select(outbox.c.payload).where(outbox.c.kind == kind).order_by(outbox.c.id))).all()
    return [dict(r.payload) for r in rows]


async def late_orders(world: World) -> tuple[str, str]:
    """A PO expected and an SO promised tomorrow (2026-11-24, Shanghai)."""
    tomorrow = date(2026, 11, 24)
    po = await world.approved_po((("A-1", 10, "2"),), expected_date=tomorrow)
    so = await world.confirmed_so((("B-2", 3),), promised_date=tomorrow)
    return po, so


async def test_overdue_orders_alert_once_a_day_again_the_next_day_and_escalate_when_long_late(
    world: World, clock: FrozenClock
) -> None:
    po, so = await late_orders(world)

    not_yet = await jobs.overdue_check(world.db, now=clock.now(), zone=SHANGHAI)
    clock.advance(days=2)  # 2026-11-25 10:00: one day late
    first = await jobs.overdue_check(world.db, now=clock.now(), zone=SHANGHAI)
    clock.advance(hours=5)
    again_scheduled = await jobs.overdue_check(world.db, now=clock.now(), zone=SHANGHAI)
    again_by_hand = await jobs.overdue_check(world.db, now=clock.now(), zone=SHANGHAI, period="manual 1")
    clock.advance(hours=19)  # the next day
    next_day = await jobs.overdue_check(world.db, now=clock.now(), zone=SHANGHAI)
    clock.advance(days=1)  # three days late
    escalated = await jobs.overdue_check(world.db, now=clock.now(), zone=SHANGHAI)
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po))
    clock.advance(days=1)
    received = await jobs.overdue_check(world.db, now=clock.now(), zone=SHANGHAI)

    assert (not_yet.outcome, not_yet.count) == ("ok", 0)
    assert (first.outcome, first.count, first.period) == ("ok", 2, "2026-11-25")
    assert again_scheduled.outcome == "skipped"
    assert (again_by_hand.outcome, again_by_hand.count) == ("ok", 0)
    assert (next_day.count, escalated.count, received.count) == (2, 2, 1)  # a received PO is no longer late
    inbound = await alerts(world.db, "PurchaseOrderOverdue")
    outbound = await alerts(world.db, "SalesOrderOverdue")
    assert [(a["ref"], a["day"], a["days_late"], a["escalate"]) for a in inbound] == [
        (po, "2026-11-25", 1, False),
        (po, "2026-11-26", 2, False),
        (po, "2026-11-27", 3, True),
    ]
    assert [(a["ref"], a["days_late"], a["escalate"], a["customer"]) for a in outbound][-1] == (so, 4, True, "SHOP")
    assert {a["created_by"] for a in inbound} == {BUYER}
    assert inbound[0]["supplier"] == "ACME" and inbound[0]["source"] == "scheduler" and inbound[0]["actor_id"] is None


async def test_approval_reminders_one_per_slot_then_escalated(world: World, clock: FrozenClock) -> None:
    draft = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(100), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=draft.number))  # 2,000: one approval needed
    counts = []

    for hours in (23, 1, 6, 18, 1):  # at 23 h, 24 h, 30 h, 48 h, 49 h
        clock.advance(hours=hours)
        counts.append((await jobs.approval_reminders(world.db, now=clock.now())).count)
    await world.do(c.ApprovePurchaseOrder(actor_id=MANAGER, po=draft.number))
    clock.advance(days=1)
    after = await jobs.approval_reminders(world.db, now=clock.now())

    assert counts == [0, 1, 0, 1, 0]
    reminders = await alerts(world.db, "ApprovalReminder")
    assert [(r["ref"], r["slot"], r["hours_waiting"], r["escalate"]) for r in reminders] == [
        (draft.number, "1.1", 24, False),
        (draft.number, "1.2", 48, True),
    ]
    assert after.count == 0


async def test_the_digest_is_due_once_a_day_across_a_restart(world: World, clock: FrozenClock) -> None:
    clock.advance(hours=8)  # 18:00 in Shanghai

    first = await jobs.daily_digest(world.db, now=clock.now(), zone=SHANGHAI)
    clock.advance(minutes=3)
    restarted = await reopen(world.db)  # a new process, same database
    try:
        second = await jobs.daily_digest(restarted, now=clock.now(), zone=SHANGHAI)
    finally:
        await restarted.dispose()
    clock.advance(days=1)
    tomorrow = await jobs.daily_digest(world.db, now=clock.now(), zone=SHANGHAI)

    assert (first.outcome, first.count, first.period) == ("ok", 1, "2026-11-23")
    assert second.outcome == "skipped"
    assert (tomorrow.outcome, tomorrow.period) == ("ok", "2026-11-24")
    assert [a["day"] for a in await alerts(world.db, "DailyDigestDue")] == ["2026-11-23", "2026-11-24"]


async def test_a_digest_run_by_hand_leaves_the_scheduled_one_to_come(world: World, clock: FrozenClock) -> None:
    config = jobs.JobConfig(zone=SHANGHAI)
    clock.advance(hours=2)  # 12:00 in Shanghai: an admin wants today's digest now (/runjob)

    by_hand = await jobs.run_job("daily_digest", world.db, now=clock.now(), config=config, period=jobs.manual_period(clock.now()))
    clock.advance(hours=6)  # 18:00: the scheduled run
    scheduled = await jobs.run_job("daily_digest", world.db, now=clock.now(), config=config)
    again = await jobs.run_job("daily_digest", world.db, now=clock.now(), config=config)

    assert (by_hand.outcome, scheduled.outcome, again.outcome) == ("ok", "ok", "skipped")
    assert [a["day"] for a in await alerts(world.db, "DailyDigestDue")] == ["2026-11-23", "2026-11-23"]


async def test_after_two_hours_down_the_missed_digest_is_caught_up_once(world: World, clock: FrozenClock) -> None:
    settings = Settings()  # digest at 18:00, Asia/Shanghai
    clock.advance(hours=7)  # 17:00: up, the digest not due yet
    before = await start_scheduler(world.db, settings, now=clock.now)
    await before.stop()
    clock.advance(hours=3)  # down from 17:00 to 20:00

    after = await start_scheduler(world.db, settings, now=clock.now)
    await after.stop()
    clock.advance(minutes=30)
    again = await start_scheduler(world.db, settings, now=clock.now)
    await again.stop()

    assert [a["day"] for a in await alerts(world.db, "DailyDigestDue")] == ["2026-11-23"]
    async with world.db.reading() as conn:
        digest_runs = await runs.runs(conn, "daily_digest")
    assert [(r.period, r.outcome) for r in digest_runs] == [("2026-11-23", "ok")]
    assert digest_runs[0].at == clock.now() - timedelta(minutes=30)


async def test_the_sweep_announces_each_low_item_once_per_episode(world: World, clock: FrozenClock) -> None:
    await world.stock_in("B-2", 5)  # no reorder point: never low

    first = await jobs.low_stock_sweep(world.db, now=clock.now())
    clock.advance(minutes=30)
    second = await jobs.low_stock_sweep(world.db, now=clock.now())

    assert (first.outcome, first.count, second.outcome, second.count) == ("ok", 1, "ok", 0)
    [alert] = await alerts(world.db, "StockFellBelowReorderPoint")
    assert (alert["ref"], Decimal(alert["reorder_point"]), alert["source"], alert["episode"]) == ("A-1", 20, "scheduler", 1)


async def test_a_failed_run_is_logged_recorded_and_its_period_runs_again(
    world: World, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(views, "low_stock", broken)
    failed = await jobs.low_stock_sweep(world.db, now=clock.now(), period="p1")
    monkeypatch.undo()
    async with world.db.reading() as conn:
        recorded = [(r.period, r.outcome) for r in await runs.runs(conn, "low_stock_sweep")]
    retried = await jobs.low_stock_sweep(world.db, now=clock.now(), period="p1")

    assert (failed.outcome, retried.outcome, retried.count) == ("error", "ok", 1)
    assert recorded == [("p1", "error")]
    [line] = [r for r in caplog.records if r.name == "caixiao.jobs" and r.levelname == "ERROR"]
    assert line.getMessage().startswith("job=low_stock_sweep period=p1 outcome=error count=0 ms=")
    assert line.exc_info is not None
    async with world.db.reading() as conn:
        assert [(r.period, r.outcome) for r in await runs.runs(conn, "low_stock_sweep")] == [("p1", "ok")]


async def reopen(db: Database) -> Database:
    """Another process's view of the same database (on PostgreSQL: the same test schema)."""
    if db.is_sqlite:
        return Database(db.url)
    async with db.reading() as conn:
        schema = await conn.scalar(text("SELECT current_schema()"))
    return Database(db.url, search_path=schema)
