"""What the scheduler's jobs read and how their runs are recorded (`job_runs`).

A run claims its (job, period) row in the same transaction as the outbox rows it writes, so a
period is done exactly when its alerts are: a second instance, or the same one after a restart,
finds the row and skips. A failed run leaves an `error …` row that a later run may claim again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.jobs import JobRun
from domain.purchasing import POStatus
from domain.readmodels import OverdueOrder
from storage import views
from storage.chunks import slices
from storage.tables import job_runs, outbox, purchase_orders
from storage.upsert import insert_ignore

# --- job_runs ---------------------------------------------------------------------------------


async def claim(conn: AsyncConnection, job: str, period: str, at: datetime) -> bool:
    """Take the period for this run; False when it already ran (or runs now elsewhere: on
    PostgreSQL the second insert waits for the first transaction and then finds its row)."""
    r = job_runs.c
    retried = await conn.execute(
        update(job_runs)
        .where(r.job == job, r.period == period, r.outcome.like("error%"))
        .values(started_at=at, finished_at=None, outcome=None)
    )
    if retried.rowcount:
        return True
    row = {"job": job, "period": period, "started_at": at}
    return bool((await conn.execute(insert_ignore(conn, job_runs, ["job", "period"]).values(**row))).rowcount)


async def finish(conn: AsyncConnection, job: str, period: str, at: datetime, count: int) -> None:
    r = job_runs.c
    await conn.execute(update(job_runs).where(r.job == job, r.period == period).values(finished_at=at, outcome=f"ok {count}"))


async def record_error(conn: AsyncConnection, job: str, period: str, started: datetime, at: datetime, error: str) -> None:
    """Note a failed run (its own transaction: the run's was rolled back). A period that has
    meanwhile succeeded elsewhere keeps its success."""
    r = job_runs.c
    outcome = f"error {error}"[:200]
    row = {"job": job, "period": period, "started_at": started, "finished_at": at, "outcome": outcome}
    if not (await conn.execute(insert_ignore(conn, job_runs, ["job", "period"]).values(**row))).rowcount:
        await conn.execute(
            update(job_runs)
            .where(r.job == job, r.period == period, or_(r.outcome.is_(None), r.outcome.like("error%")))
            .values(started_at=started, finished_at=at, outcome=outcome)
        )


async def has_run(conn: AsyncConnection, job: str, period: str) -> bool:
    """A successful run of the period is recorded."""
    r = job_runs.c
    found = await conn.scalar(select(r.job).where(r.job == job, r.period == period, r.outcome.like("ok%")))
    return found is not None


def _run(row: Row[Any]) -> JobRun:
    outcome, _, rest = (row.outcome or "running").partition(" ")
    ms = (row.finished_at - row.started_at).total_seconds() * 1000 if row.finished_at else 0.0
    return JobRun(row.job, row.period, outcome, int(rest) if rest.isdigit() else 0, row.started_at, ms)


async def last_runs(conn: AsyncConnection, names: Sequence[str]) -> dict[str, JobRun]:
    """The latest recorded run of each job."""
    r = job_runs.c
    out: dict[str, JobRun] = {}
    for name in names:
        row = (
            await conn.execute(select(job_runs).where(r.job == name).order_by(r.started_at.desc(), r.period.desc()).limit(1))
        ).first()
        if row is not None:
            out[name] = _run(row)
    return out


async def runs(conn: AsyncConnection, job: str) -> list[JobRun]:
    """Every recorded run of a job, oldest first (for tests and support)."""
    r = job_runs.c
    rows = (await conn.execute(select(job_runs).where(r.job == job).order_by(r.started_at, r.period))).all()
    return [_run(row) for row in rows]


# --- what the jobs read -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LateOrder:
    order: OverdueOrder
    created_by: int


async def late_pos(conn: AsyncConnection, today: date) -> list[LateOrder]:
    """Overdue POs (storage.views.overdue_pos) with who raised them."""
    return [LateOrder(o, by) for o, by in await views.overdue_with_creators(conn, today, inbound=True)]


async def late_sos(conn: AsyncConnection, today: date) -> list[LateOrder]:
    """Overdue SOs (storage.views.overdue_sos) with who raised them."""
    return [LateOrder(o, by) for o, by in await views.overdue_with_creators(conn, today, inbound=False)]


async def existing_keys(conn: AsyncConnection, keys: Sequence[str]) -> set[str]:
    """The dedup keys among these that the outbox holds already."""
    o = outbox.c
    found: set[str] = set()
    for part in slices(keys):
        found |= set(await conn.scalars(select(o.dedup_key).where(o.dedup_key.in_(part))))
    return found


@dataclass(frozen=True, slots=True)
class WaitingPO:
    number: str
    created_by: int
    submitted_at: datetime
    approval_round: int


async def waiting_for_approval(conn: AsyncConnection, submitted_before: datetime) -> list[WaitingPO]:
    """POs pending approval since the given instant or earlier, longest waiting first."""
    p = purchase_orders.c
    rows = (
        await conn.execute(
            select(p.number, p.created_by, p.submitted_at, p.approval_round)
            .where(and_(p.status == POStatus.PENDING.value, p.submitted_at <= submitted_before))
            .order_by(p.submitted_at, p.id)
        )
    ).all()
    return [WaitingPO(r.number, r.created_by, r.submitted_at, r.approval_round) for r in rows]
