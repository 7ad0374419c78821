"""Scheduling: daily jobs once per local day across daylight-saving changes (RELIABILITY T9), and
on PostgreSQL one leader among instances, with dedup keys stopping doubles anyway (T8); a daily
run that failed retried by the leader the same day, once; stopping waiting for a running job."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.config import Settings
from notifications import jobs
from notifications.jobs import JobConfig
from notifications.scheduling import AdvisoryLock, first_run_today, start_scheduler
from storage import jobs as runs
from storage import views
from storage.database import Database
from storage.tables import job_runs, outbox
from tests.conftest import BACKENDS
from tests.integration.test_jobs import alerts, late_orders, reopen
from tests.support import FrozenClock, World

BERLIN = ZoneInfo("Europe/Berlin")


def fire_times(cron: str, start: datetime, end: datetime) -> list[datetime]:
    """What the scheduler would fire, in UTC; stepping in UTC (wall-clock arithmetic would go back
    an hour inside the repeated autumn hour)."""
    trigger, out, previous, now = CronTrigger.from_crontab(cron, timezone=BERLIN), [], None, start
    while (fire := trigger.get_next_fire_time(previous, now)) is not None and fire < end:
        out.append(fire.astimezone(UTC))
        previous, now = fire, fire.astimezone(UTC) + timedelta(microseconds=1)
    return out


async def test_daily_jobs_run_once_per_local_day_across_both_dst_changes(db: Database) -> None:
    digest_at, overdue_at = "30 2 * * *", "30 3 * * *"  # inside the hour that is skipped in spring, repeated in autumn; after it
    config = JobConfig(zone=BERLIN)
    spring = (datetime(2026, 3, 27, 12, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))  # 29 March: 02:00 → 03:00
    autumn = (datetime(2026, 10, 23, 12, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC))  # 25 October: 03:00 → 02:00
    fired: dict[str, list[datetime]] = {}
    for name, cron in (("daily_digest", digest_at), ("overdue_check", overdue_at)):
        fired[name] = fire_times(cron, *spring) + fire_times(cron, *autumn)

    for name, times in fired.items():
        for at in times:
            await jobs.run_job(name, db, now=at, config=config)

    days = [f"2026-03-{d}" for d in (28, 29, 30)] + [f"2026-10-{d}" for d in (24, 25, 26)]
    assert len(fire_times("30 2 * * *", *autumn)) == 4  # three days, and 02:30 twice on 25 October
    async with db.reading() as conn:
        for name, times in fired.items():
            recorded = await runs.runs(conn, name)
            assert [r.period for r in recorded] == days
            assert all(r.outcome == "ok" and r.at.tzinfo == UTC for r in recorded)
            first_of_day: dict[str, datetime] = {}
            for at in times:
                first_of_day.setdefault(at.astimezone(BERLIN).date().isoformat(), at)
            assert [r.at for r in recorded] == [first_of_day[d] for d in days]  # stored as the UTC instant
    assert [a["day"] for a in await alerts(db, "DailyDigestDue")] == days
    spring_day = datetime(2026, 3, 29, 12, tzinfo=UTC)
    assert first_run_today("30 2 * * *", BERLIN, spring_day) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # as 03:30 CEST


# --- T8: PostgreSQL, two instances ------------------------------------------------------------

pg_only = pytest.mark.parametrize("db", [BACKENDS[1]], indirect=True)


async def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pg_only
async def test_two_instances_elect_one_leader_that_alone_runs_jobs_and_a_standby_takes_over(
    db: Database, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    other = await reopen(db)
    caplog.set_level(logging.INFO, logger="caixiao.jobs")
    first = await start_scheduler(db, Settings(), now=clock.now, retry_seconds=0.05)
    second = await start_scheduler(other, Settings(), now=clock.now, retry_seconds=0.05)
    try:
        leaders = [s for s in (first, second) if s.leading]
        assert leaders == [first]
        assert (first.aps.state, second.aps.state) == (STATE_RUNNING, STATE_PAUSED)
        caplog.clear()
        now = datetime.now(UTC)
        for s in (first, second):  # both are told the sweep is due now; only the leader fires it
            s.aps.modify_job("low_stock_sweep", next_run_time=now)
            s.aps.wakeup()
        await _wait_for(lambda: any("job=low_stock_sweep" in r.getMessage() for r in caplog.records))
        await asyncio.sleep(0.2)
        sweeps = [r.getMessage() for r in caplog.records if "job=low_stock_sweep" in r.getMessage()]
        assert [m.split()[2] for m in sweeps] == ["outcome=ok"], sweeps

        lock = first.leadership
        assert isinstance(lock, AdvisoryLock) and lock._conn is not None
        pid = await lock._conn.scalar(text("SELECT pg_backend_pid()"))
        async with other.write_engine.begin() as conn:  # the leader's session dies (crash, network)
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await _wait_for(lambda: second.leading and not first.leading)

        assert (first.aps.state, second.aps.state) == (STATE_PAUSED, STATE_RUNNING)
    finally:
        await first.stop()
        await second.stop()
        await other.dispose()


@pg_only
async def test_jobs_run_by_two_instances_at_once_write_each_alert_once(world: World, clock: FrozenClock) -> None:
    await late_orders(world)
    clock.advance(days=2)
    other = await reopen(world.db)
    try:
        overdue = await asyncio.gather(
            *(
                jobs.overdue_check(d, now=clock.now(), zone=ZoneInfo("Asia/Shanghai"), period=f"manual {i}")
                for i, d in enumerate((world.db, other))
            )
        )
        digests = await asyncio.gather(*(jobs.daily_digest(d, now=clock.now(), zone=BERLIN) for d in (world.db, other)))
        sweeps = await asyncio.gather(*(jobs.low_stock_sweep(d, now=clock.now(), period="p") for d in (world.db, other)))
    finally:
        await other.dispose()

    assert sorted(r.count for r in overdue) == [0, 2]
    assert sorted(r.outcome for r in digests) == ["ok", "skipped"]
    assert sorted(r.outcome for r in sweeps) == ["ok", "skipped"]
    async with world.db.reading() as conn:
        keys = (await conn.execute(select(outbox.c.dedup_key, func.count()).group_by(outbox.c.dedup_key))).all()
        periods = await conn.scalar(select(func.count()).select_from(job_runs).where(job_runs.c.job == "daily_digest"))
    assert all(n == 1 for key, n in keys if key is not None)
    assert periods == 1
    assert [k.rsplit(":", 1)[1] for k, _ in keys if k and k.startswith("overdue_")] == ["2026-11-25"] * 2


# --- a failed daily run is retried while leading; stopping waits for a running job --------------


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def _runs(db: Database, job: str) -> list[tuple[str, str]]:
    async with db.reading() as conn:
        return [(r.period, r.outcome) for r in await runs.runs(conn, job)]


async def test_daily_runs_that_failed_are_retried_the_same_day_and_succeed_once(
    world: World, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches a leader that catches up only when it becomes leader: the overdue check and the
    digest fail at once (the database away for their first three tries) and nothing would run
    them again that day. Also catches a retry loop that runs a period again once it succeeded."""
    await late_orders(world)
    clock.advance(days=2, hours=8)  # 2026-11-25 18:00 in Shanghai: both daily jobs are due
    real_claim, tries = runs.claim, []

    async def database_away_at_first(conn: AsyncConnection, job: str, period: str, at: datetime) -> bool:
        if job not in jobs.DAILY_JOBS:  # a sweep a real-time cron happens to fire
            return await real_claim(conn, job, period, at)
        tries.append(job)
        if len(tries) <= 3:
            raise OperationalError("INSERT INTO job_runs", {}, ConnectionRefusedError("database away"))
        return await real_claim(conn, job, period, at)

    monkeypatch.setattr(runs, "claim", database_away_at_first)
    scheduler = await start_scheduler(world.db, Settings(), now=clock.now, retry_seconds=0.02)
    try:

        async def both_ran() -> bool:
            done = [await _runs(world.db, job) for job in ("overdue_check", "daily_digest")]
            return done == [[("2026-11-25", "ok")]] * 2

        await _until(both_ran)
        await asyncio.sleep(0.5)  # many more turns of the watch loop
    finally:
        await scheduler.stop()

    assert sorted(tries) == ["daily_digest"] * 2 + ["overdue_check"] * 3  # three failures, then one success each
    assert [a["day"] for a in await alerts(world.db, "DailyDigestDue")] == ["2026-11-25"]
    assert len(await alerts(world.db, "PurchaseOrderOverdue")) == len(await alerts(world.db, "SalesOrderOverdue")) == 1


async def _scheduler_running_a_sweep(world: World, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, seconds: float) -> Any:
    """A leading scheduler whose low-stock sweep is running, inside its transaction, and takes
    `seconds` (None: forever) before it goes on; returns it once the sweep is under way."""
    clock.advance(hours=-3)  # 07:00 in Shanghai: no daily job due, nothing to catch up
    real_low_stock, started = views.low_stock, asyncio.Event()

    async def slow_low_stock(conn: AsyncConnection, limit: int | None = None) -> Any:
        started.set()
        await asyncio.sleep(seconds)
        return await real_low_stock(conn, limit)

    monkeypatch.setattr(views, "low_stock", slow_low_stock)
    scheduler = await start_scheduler(world.db, Settings(), now=clock.now, retry_seconds=0.05)
    scheduler.aps.modify_job("low_stock_sweep", next_run_time=datetime.now(UTC))
    scheduler.aps.wakeup()
    await asyncio.wait_for(started.wait(), 10)
    return scheduler


async def test_stop_waits_for_a_running_job_and_a_second_stop_does_nothing(
    world: World, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches a stop that shuts APScheduler down without waiting (it cancels the job, or leaves
    it using the database while the application closes it)."""
    scheduler = await _scheduler_running_a_sweep(world, clock, monkeypatch, 0.3)

    await scheduler.stop()
    ran = await _runs(world.db, "low_stock_sweep")
    await scheduler.stop()

    assert ran == [(jobs.minute_period(clock.now()), "ok")]
    assert not scheduler.aps.running and not scheduler.leading


async def test_stop_cancels_a_job_still_running_after_the_grace_and_its_period_stays_free(
    world: World, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler = await _scheduler_running_a_sweep(world, clock, monkeypatch, 3600)
    started = asyncio.get_running_loop().time()

    await asyncio.gather(scheduler.stop(grace_seconds=0.2), scheduler.stop(grace_seconds=0.2))  # two at once, too
    took = asyncio.get_running_loop().time() - started

    assert took < 2
    assert await _runs(world.db, "low_stock_sweep") == []  # rolled back: the next leader runs the period
    assert any("cancelling job low_stock_sweep" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert not scheduler.aps.running
