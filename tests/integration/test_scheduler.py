"""Scheduling: daily jobs once per local day across daylight-saving changes (RELIABILITY T9), and
on PostgreSQL one leader among instances, with dedup keys stopping doubles anyway (T8)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select, text

from bot.config import Settings
from notifications import jobs
from notifications.jobs import JobConfig
from notifications.scheduling import AdvisoryLock, first_run_today, start_scheduler
from storage import jobs as runs
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
            first_of_day = {}
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
