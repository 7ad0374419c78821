"""Running the jobs on their crons (APScheduler, company time zone) on exactly one instance.

Every job is added with `coalesce=True` (a backlog of missed fire times runs once),
`max_instances=1` (never two runs of one job at once) and an explicit misfire grace. On
PostgreSQL the instance holding a session-level advisory lock, on a connection kept for that
alone, is the leader and the only one whose scheduler runs; the others stand by, try the lock
again every few seconds and take over when the leader's session ends (it died, or its connection
did). On SQLite the single process leads. Whoever runs a job, its period in `job_runs` and the
outbox dedup keys make a second run of a period write nothing.

A restarted leader catches up: a daily job whose time today has passed without a recorded run
for today runs once, at once (the scheduler itself remembers nothing across restarts). While it
leads it keeps catching up on each turn of its watch loop, so a daily run that failed (the
database briefly away) runs again the same day, backing off while it keeps failing; a period
that succeeded is never run again (its `job_runs` row says so).

Stopping waits for a running job to finish, up to a bound, and then cancels it (its transaction
rolls back, so its period is not taken); only then does the scheduler shut down and step down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, tzinfo
from time import monotonic
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.jobs import JOB_NAMES, JobRun, JobStatus, UnknownJob
from domain.values import local_date
from notifications.jobs import DAILY_JOBS, JobConfig, day_period, manual_period, run_job
from storage import jobs as runs
from storage.database import Database

log = logging.getLogger("caixiao.jobs")
# A fire time missed by less than this (a busy loop, a short pause) still runs, once; older ones
# are dropped, and the daily jobs are caught up by the period check instead.
MISFIRE_GRACE_SECONDS = 15 * 60
STANDBY_RETRY_SECONDS = 15.0
# A daily job that failed is tried again on the watch loop's next turns, waiting twice as long
# after each failure, up to this.
CATCH_UP_MAX_BACKOFF_SECONDS = 15 * 60
# How long stop() lets a running job finish before cancelling it, and then lets it unwind.
STOP_TIMEOUT_SECONDS = 10.0
CANCEL_GRACE_SECONDS = 2.0
# One lock per schema, so companies (and test runs) sharing a PostgreSQL database each get a leader.
_LOCK_KEY = "hashtext('caixiao.scheduler:' || current_schema())"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- configuration ----------------------------------------------------------------------------


class _ScheduleSection(Protocol):
    @property
    def low_stock_sweep(self) -> str: ...
    @property
    def overdue_check(self) -> str: ...
    @property
    def approval_reminders(self) -> str: ...
    @property
    def daily_digest(self) -> str: ...
    @property
    def escalate_overdue_after_days(self) -> int: ...
    @property
    def remind_after_hours(self) -> int: ...
    @property
    def remind_every_hours(self) -> int: ...
    @property
    def escalate_after_hours(self) -> int: ...


class _CompanySection(Protocol):
    @property
    def timezone(self) -> str: ...


class ScheduleSettings(Protocol):
    """The part of bot.config.Settings the scheduler reads (notifications does not import bot)."""

    @property
    def schedule(self) -> _ScheduleSection: ...
    @property
    def company(self) -> _CompanySection: ...


@dataclass(frozen=True, slots=True)
class Plan:
    """Which job runs when (cron per job name, in the company zone) and with which thresholds."""

    crons: dict[str, str]
    config: JobConfig = field(default_factory=JobConfig)

    @classmethod
    def from_settings(cls, settings: ScheduleSettings) -> Plan:
        s = settings.schedule
        return cls(
            {name: getattr(s, name) for name in JOB_NAMES},
            JobConfig(
                zone=ZoneInfo(settings.company.timezone),
                escalate_overdue_after_days=s.escalate_overdue_after_days,
                remind_after_hours=s.remind_after_hours,
                remind_every_hours=s.remind_every_hours,
                escalate_after_hours=s.escalate_after_hours,
            ),
        )


def trigger(cron: str, zone: tzinfo) -> Any:
    return CronTrigger.from_crontab(cron, timezone=zone)


def next_run(cron: str, zone: tzinfo, after: datetime) -> datetime | None:
    """The first fire time at or after `after`, in UTC."""
    fire: datetime | None = trigger(cron, zone).get_next_fire_time(None, after.astimezone(zone))
    return fire.astimezone(UTC) if fire else None


def first_run_today(cron: str, zone: tzinfo, now: datetime) -> datetime | None:
    """When the cron first fires on the company-local day of `now` (UTC); None if not that day."""
    today = local_date(now, zone)
    fire = next_run(cron, zone, datetime.combine(today, time(0), tzinfo=zone))
    return fire if fire is not None and local_date(fire, zone) == today else None


# --- what admins see and do -------------------------------------------------------------------


class JobBoard:
    """domain.jobs.JobControl on the database: next runs come from the crons (so any instance,
    or the command line, can answer), last runs from `job_runs`."""

    def __init__(self, db: Database, plan: Plan, clock: Clock = utc_now) -> None:
        self.db, self.plan, self.clock = db, plan, clock

    async def overview(self) -> list[JobStatus]:
        now = self.clock()
        async with self.db.reading() as conn:
            last = await runs.last_runs(conn, JOB_NAMES)
        zone = self.plan.config.zone
        return [JobStatus(n, self.plan.crons[n], next_run(self.plan.crons[n], zone, now), last.get(n)) for n in JOB_NAMES]

    async def run_now(self, name: str) -> JobRun:
        if name not in JOB_NAMES:
            raise UnknownJob(name)
        now = self.clock()
        return await run_job(name, self.db, now=now, config=self.plan.config, period=manual_period(now))


# --- leader election --------------------------------------------------------------------------


class Leadership(Protocol):
    async def acquire(self) -> bool:
        """Become (or stay) the leader if nobody else is; True when this instance leads."""
        ...

    async def holds(self) -> bool:
        """Still the leader (the lock's session is alive)."""
        ...

    async def release(self) -> None: ...


class SingleProcess:
    """SQLite: one process owns the file, so it leads."""

    async def acquire(self) -> bool:
        return True

    async def holds(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLock:
    """PostgreSQL: a session-level advisory lock, held on a connection of its own. It is never
    left inside a transaction (an idle transaction would hold back vacuum for as long as we lead)
    and never returned to the pool (the next user would inherit the lock): it is closed for good."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> bool:
        if self._conn is not None:
            return await self.holds()
        conn = await self.db.write_engine.connect()
        try:
            got = bool(await conn.scalar(text(f"SELECT pg_try_advisory_lock({_LOCK_KEY})")))
            await conn.commit()
        except BaseException:
            await _discard(conn)
            raise
        if got:
            self._conn = conn
        else:
            await conn.close()  # no session lock taken: fine back in the pool
        return got

    async def holds(self) -> bool:
        if self._conn is None:
            return False
        try:
            await self._conn.scalar(text("SELECT 1"))
            await self._conn.commit()
        except Exception:
            log.warning("scheduler lock connection lost", exc_info=True)
            conn, self._conn = self._conn, None
            await _discard(conn)
            return False
        return True

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await _discard(conn)  # ending the session releases the lock


async def _discard(conn: AsyncConnection) -> None:
    with contextlib.suppress(Exception):  # it may already be dead; the server ends the session then
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()


# --- the scheduler ----------------------------------------------------------------------------


class Scheduler:
    """The jobs on their crons, run only while this instance leads."""

    def __init__(
        self,
        db: Database,
        plan: Plan,
        *,
        clock: Clock = utc_now,
        leadership: Leadership | None = None,
        retry_seconds: float = STANDBY_RETRY_SECONDS,
    ) -> None:
        self.db, self.plan, self.clock = db, plan, clock
        self.leadership = leadership or (SingleProcess() if db.is_sqlite else AdvisoryLock(db))
        self.retry_seconds = retry_seconds
        self.leading = False
        self.aps = AsyncIOScheduler(timezone=plan.config.zone)
        self._watch_task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._running: set[asyncio.Task[JobRun]] = set()  # job runs fired by the crons
        self._done_today: set[tuple[str, str]] = set()  # (job, period) seen done: no need to ask again
        self._backoff = 0.0
        self._retry_at = 0.0  # monotonic: when the watch loop may catch up again

    async def start(self) -> None:
        for name in JOB_NAMES:
            self.aps.add_job(
                self._fire,
                trigger(self.plan.crons[name], self.plan.config.zone),
                args=[name],
                id=name,
                name=name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
                replace_existing=True,
            )
        self.aps.start(paused=True)  # nothing fires until this instance is the leader
        try:
            await self.elect()
        except BaseException:
            self.aps.shutdown(wait=False)
            raise
        self._watch_task = asyncio.create_task(self._watch(), name="scheduler-leadership")

    async def elect(self) -> None:
        """Take the lead if it is free, or step down if the lock was lost."""
        if self._stopping.is_set():
            return
        if not self.leading:
            if await self.leadership.acquire() and not self._stopping.is_set():
                self.leading = True
                self.aps.resume()
                log.info("scheduler leading jobs=%s", ",".join(JOB_NAMES))
                await self._catch_up_or_back_off()
        elif not await self.leadership.holds():
            self.leading = False
            self.aps.pause()
            log.warning("scheduler standing by: lost the leader lock")

    async def _watch(self) -> None:
        while not await self._stopped_within(self.retry_seconds):
            try:
                await self.elect()
            except Exception:  # the database is away: stay as we are and ask again later
                log.warning("scheduler leader election failed", exc_info=True)
                continue
            if self.leading and monotonic() >= self._retry_at:
                await self._catch_up_or_back_off()

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _catch_up_or_back_off(self) -> None:
        """catch_up(); after a failure (a run that failed, or the database away) the next try
        waits twice as long as the last (from the watch interval up to the cap), after a clean
        pass the watch loop tries on each turn again."""
        try:
            failed = any(run.outcome == "error" for run in await self.catch_up())
        except Exception:
            log.warning("scheduler catch-up failed", exc_info=True)
            failed = True
        self._backoff = min(max(2 * self._backoff, self.retry_seconds), CATCH_UP_MAX_BACKOFF_SECONDS) if failed else 0.0
        self._retry_at = monotonic() + self._backoff

    async def _fire(self, name: str) -> None:
        """What APScheduler runs: the job in a task of our own, so stop() can wait for it (and
        APScheduler's shutdown, which cancels what it runs, cannot cut it short)."""
        if self._stopping.is_set():
            return
        run = asyncio.create_task(run_job(name, self.db, now=self.clock(), config=self.plan.config), name=f"job {name}")
        self._running.add(run)
        run.add_done_callback(self._running.discard)
        with contextlib.suppress(asyncio.CancelledError):  # stop() cancelled it, or APScheduler us: stop() handles it
            await asyncio.shield(run)

    async def catch_up(self) -> list[JobRun]:
        """Run each daily job whose time today has passed without a successful run recorded for
        today (none, or one that failed). A period that succeeded never runs again: a run
        claims it in `job_runs`, and a second claim finds it taken."""
        now, zone, done = self.clock(), self.plan.config.zone, []
        for name in JOB_NAMES:
            first = first_run_today(self.plan.crons[name], zone, now) if name in DAILY_JOBS else None
            period = day_period(now, zone)
            if first is None or first > now or (name, period) in self._done_today:
                continue
            async with self.db.reading() as conn:
                ran = await runs.has_run(conn, name, period)
            if not ran:
                run = await run_job(name, self.db, now=now, config=self.plan.config)
                done.append(run)
                ran = run.outcome == "ok"
            if ran:
                self._done_today = {key for key in self._done_today if key[1] == period} | {(name, period)}
        return done

    async def stop(self, grace_seconds: float = STOP_TIMEOUT_SECONDS) -> None:
        """Fire nothing more, let a running job (or catch-up) finish for up to `grace_seconds`
        and then cancel it (its transaction rolls back: the period stays free for the next
        leader), then shut down and step down. Safe to call again, also while a call runs."""
        self._stopping.set()
        if self.aps.state == STATE_RUNNING:
            self.aps.pause()
        busy = {t for t in (self._watch_task, *self._running) if t is not None and not t.done()}
        if busy:
            finished, late = await asyncio.wait(busy, timeout=grace_seconds)
            if late:
                names = ", ".join(sorted(t.get_name() for t in late))
                log.warning("scheduler stopping: cancelling %s, still running after %.1f s", names, grace_seconds)
                for task in late:
                    task.cancel()
                cancelled, stuck = await asyncio.wait(late, timeout=CANCEL_GRACE_SECONDS)
                finished |= cancelled
                if stuck:
                    log.error("scheduler stopping: %d task(s) did not end when cancelled", len(stuck))
            for task in finished:
                if not task.cancelled() and task.exception() is not None:
                    log.error("scheduler task %s failed", task.get_name(), exc_info=task.exception())
        self._watch_task = None
        if self.aps.running:
            self.aps.shutdown(wait=False)
        self.leading = False
        await self.leadership.release()


async def start_scheduler(
    db: Database, settings: ScheduleSettings, now: Clock = utc_now, *, retry_seconds: float = STANDBY_RETRY_SECONDS
) -> Scheduler:
    """Start the jobs from `[schedule]`; returns once this instance leads (and has caught up) or
    stands by. Call `await scheduler.stop()` on shutdown."""
    scheduler = Scheduler(db, Plan.from_settings(settings), clock=now, retry_seconds=retry_seconds)
    await scheduler.start()
    return scheduler
