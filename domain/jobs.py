"""The scheduler's jobs as front ends see them: what ran, what is next, and running one now.

Pure Python: the chat and the command line talk to `JobControl`; notifications implements it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# The jobs, in the order /jobs and `caixiao jobs list` show them.
JOB_NAMES: tuple[str, ...] = ("low_stock_sweep", "overdue_check", "approval_reminders", "daily_digest")


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run of a job. `outcome` is ok, skipped (its period already ran elsewhere) or error."""

    job: str
    period: str  # the local day for daily jobs, else the UTC minute; `manual …` for a run on demand
    outcome: str
    count: int  # alerts written to the outbox
    at: datetime  # started, UTC
    ms: float = 0.0


@dataclass(frozen=True, slots=True)
class JobStatus:
    name: str
    cron: str
    next_run: datetime | None  # UTC; front ends show it in the company zone
    last: JobRun | None


class UnknownJob(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class JobControl(Protocol):
    """What admins may do with the jobs from chat or the shell."""

    async def overview(self) -> list[JobStatus]:
        """Every job with its cron, next run and last recorded run, in JOB_NAMES order."""
        ...

    async def run_now(self, name: str) -> JobRun:
        """Run the job at once (dedup keys still hold: nothing already announced is repeated).
        Raises UnknownJob for a name not in JOB_NAMES."""
        ...
