"""The scheduler's jobs: plain async functions that read the books and write outbox rows.

Each job opens its own unit of work, claims its period in `job_runs` in that same transaction,
raises its events (source "scheduler", no actor) and commits; routing and sending happen
elsewhere. So a period's alerts exist exactly when its run is recorded: a second instance, a
restart or a catch-up finds the period taken and skips, and dedup keys stop doubles anyway.
Time comes in as `now` (UTC); business days are judged in the company zone. Every run logs one
line on `caixiao.jobs`: job, period, outcome, count, ms.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from domain.acts import Source
from domain.events import (
    ApprovalReminder,
    DailyDigestDue,
    Event,
    PurchaseOrderOverdue,
    SalesOrderOverdue,
    StockFellBelowReorderPoint,
)
from domain.jobs import JobRun, UnknownJob
from domain.values import local_date
from storage import episodes, views
from storage import jobs as runs
from storage.database import Database
from storage.uow import SqlUnitOfWork

log = logging.getLogger("caixiao.jobs")
SOURCE = Source.SCHEDULER.value
# Jobs whose period is the company-local day: at most one run per day, whatever the cron says
# and however often the clock repeats 02:30 in autumn (RELIABILITY T9).
DAILY_JOBS = frozenset({"overdue_check", "daily_digest"})


@dataclass(frozen=True, slots=True)
class JobConfig:
    """The thresholds from `[schedule]` and the company zone."""

    zone: tzinfo = UTC
    escalate_overdue_after_days: int = 3
    remind_after_hours: int = 24
    remind_every_hours: int = 24
    escalate_after_hours: int = 48


def day_period(now: datetime, zone: tzinfo) -> str:
    return local_date(now, zone).isoformat()


def minute_period(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def manual_period(now: datetime) -> str:
    return "manual " + now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def period_for(job: str, now: datetime, zone: tzinfo) -> str:
    """The period a scheduled run of `job` at `now` belongs to."""
    return day_period(now, zone) if job in DAILY_JOBS else minute_period(now)


Work = Callable[[SqlUnitOfWork], Awaitable[int]]


async def _run(db: Database, job: str, period: str, now: datetime, work: Work) -> JobRun:
    started = time.perf_counter()
    outcome, count, failure = "ok", 0, None
    try:
        async with SqlUnitOfWork(db) as uow:
            if await runs.claim(uow.conn, job, period, now):
                count = await work(uow)
                await runs.finish(uow.conn, job, period, now + timedelta(seconds=time.perf_counter() - started), count)
                await uow.commit()
            else:
                outcome = "skipped"
    except Exception as exc:  # a job must not take the scheduler down; the line below carries the traceback
        outcome, count, failure = "error", 0, exc
        await _note_failure(db, job, period, now, type(exc).__name__)
    ms = (time.perf_counter() - started) * 1000
    log.log(
        logging.ERROR if failure else logging.INFO,
        "job=%s period=%s outcome=%s count=%d ms=%.1f",
        job,
        period,
        outcome,
        count,
        ms,
        exc_info=failure,
    )
    return JobRun(job, period, outcome, count, now, ms)


async def _note_failure(db: Database, job: str, period: str, now: datetime, error: str) -> None:
    try:
        async with SqlUnitOfWork(db) as uow:
            await runs.record_error(uow.conn, job, period, now, now, error)
            await uow.commit()
    except Exception:  # the database itself may be what failed; the run's log line still says so
        log.warning("job=%s period=%s could not record its failure", job, period, exc_info=True)


async def _record_new(uow: SqlUnitOfWork, events: Sequence[Event]) -> int:
    """Record the events whose dedup key is not in the outbox yet; how many that is."""
    existing = await runs.existing_keys(uow.conn, [e.dedup_key for e in events if e.dedup_key is not None])
    fresh = [e for e in events if e.dedup_key is None or e.dedup_key not in existing]
    uow.record(fresh)
    return len(fresh)


# --- the jobs ---------------------------------------------------------------------------------


async def low_stock_sweep(db: Database, *, now: datetime, period: str | None = None) -> JobRun:
    """Raise StockFellBelowReorderPoint for every active item whose projected quantity is below
    its reorder point and whose low-stock episode is not open yet, and close the episodes of
    items that recovered; so an item alerts once per episode (storage.episodes decides under its
    row locks, taken in one ordered step). The count is the episodes this run opens."""

    async def work(uow: SqlUnitOfWork) -> int:
        # Read first, then one ordered locking step over these items and every open episode
        # (closing those that recovered), so the sweep never takes an episode lock after
        # another: a sale committing meanwhile cannot deadlock with it (storage.episodes).
        low = await views.low_stock(uow.conn)
        announce = await episodes.sweep(uow.conn, now, [line.item_id for line in low])
        uow.record(
            StockFellBelowReorderPoint(
                at=now,
                actor_id=None,
                source=SOURCE,
                ref=line.sku,
                item_id=line.item_id,
                item_name=line.name,
                projected=line.projected,
                reorder_point=line.reorder_point,
                suggested_qty=line.suggested_qty,
            )
            for line in low
            if line.item_id in announce
        )
        return len(announce)

    return await _run(db, "low_stock_sweep", period or minute_period(now), now, work)


async def overdue_check(
    db: Database, *, now: datetime, zone: tzinfo, escalate_after_days: int = 3, period: str | None = None
) -> JobRun:
    """PurchaseOrderOverdue / SalesOrderOverdue for every order overdue today (company zone):
    approved or partially received POs with goods to receive expected before today, confirmed or
    partially shipped SOs with goods to ship promised before today. Once per order per local day
    (the dedup key holds the day); `escalate` once it is `escalate_after_days` late."""
    today = local_date(now, zone)

    async def work(uow: SqlUnitOfWork) -> int:
        def late_fields(late: runs.LateOrder) -> dict[str, Any]:
            order = late.order
            return {"at": now, "actor_id": None, "source": SOURCE, "ref": order.number, "day": today,
                    "days_late": order.days_late, "created_by": late.created_by,
                    "escalate": order.days_late >= escalate_after_days}  # fmt: skip

        events: list[Event] = [
            PurchaseOrderOverdue(supplier=late.order.partner, expected=late.order.due, **late_fields(late))
            for late in await runs.late_pos(uow.conn, today)
        ]
        events += [
            SalesOrderOverdue(customer=late.order.partner, promised=late.order.due, **late_fields(late))
            for late in await runs.late_sos(uow.conn, today)
        ]
        return await _record_new(uow, events)

    return await _run(db, "overdue_check", period or day_period(now, zone), now, work)


async def approval_reminders(
    db: Database,
    *,
    now: datetime,
    remind_after_hours: int = 24,
    remind_every_hours: int = 24,
    escalate_after_hours: int = 48,
    period: str | None = None,
) -> JobRun:
    """An ApprovalReminder for each PO pending approval for `remind_after_hours` or more: one per
    slot, the slot being how many whole `remind_every_hours` it has waited in this approval round
    (a PO sent back and submitted again starts over); `escalate` from `escalate_after_hours`."""
    every = timedelta(hours=remind_every_hours)

    async def work(uow: SqlUnitOfWork) -> int:
        events: list[Event] = []
        for po in await runs.waiting_for_approval(uow.conn, now - timedelta(hours=remind_after_hours)):
            waited = now - po.submitted_at
            events.append(
                ApprovalReminder(
                    at=now,
                    actor_id=None,
                    source=SOURCE,
                    ref=po.number,
                    slot=f"{po.approval_round}.{waited // every}",
                    hours_waiting=int(waited.total_seconds() // 3600),
                    created_by=po.created_by,
                    escalate=waited >= timedelta(hours=escalate_after_hours),
                )
            )
        return await _record_new(uow, events)

    return await _run(db, "approval_reminders", period or minute_period(now), now, work)


async def daily_digest(db: Database, *, now: datetime, zone: tzinfo, manual: str | None = None) -> JobRun:
    """DailyDigestDue for the company-local day of `now`: once per day, across restarts, catch-ups
    and instances (the run's period is the day, and so is the dedup key). A `manual` run (its
    own period) sends the day's digest now and leaves the scheduled one to come."""
    day = local_date(now, zone)
    edition = manual.replace(" ", "-") if manual else ""

    async def work(uow: SqlUnitOfWork) -> int:
        due = DailyDigestDue(at=now, actor_id=None, source=SOURCE, ref=day.isoformat(), day=day, edition=edition)
        return await _record_new(uow, [due])

    return await _run(db, "daily_digest", manual or day.isoformat(), now, work)


async def run_job(name: str, db: Database, *, now: datetime, config: JobConfig, period: str | None = None) -> JobRun:
    """Run a job by name. `period` defaults to the scheduled one (see period_for); a digest run for
    another period than its day (a manual run) sends the digest without using up the day's."""
    period = period or period_for(name, now, config.zone)
    match name:
        case "low_stock_sweep":
            return await low_stock_sweep(db, now=now, period=period)
        case "overdue_check":
            return await overdue_check(
                db, now=now, zone=config.zone, escalate_after_days=config.escalate_overdue_after_days, period=period
            )
        case "approval_reminders":
            return await approval_reminders(
                db,
                now=now,
                remind_after_hours=config.remind_after_hours,
                remind_every_hours=config.remind_every_hours,
                escalate_after_hours=config.escalate_after_hours,
                period=period,
            )
        case "daily_digest":
            manual = period if period != day_period(now, config.zone) else None
            return await daily_digest(db, now=now, zone=config.zone, manual=manual)
    raise UnknownJob(name)
