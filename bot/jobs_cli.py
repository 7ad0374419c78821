"""`caixiao jobs list` and `caixiao jobs run <name>`: the scheduler's jobs from the shell."""

from __future__ import annotations

import argparse
from datetime import datetime

from bot.bootstrap import build_app
from bot.config import Settings
from bot.i18n import t
from domain.jobs import JOB_NAMES
from notifications.scheduling import JobBoard, Plan


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    jobs = sub.add_parser("jobs", help="list the scheduled jobs or run one now").add_subparsers(dest="action", required=True)
    jobs.add_parser("list", help="each job, its cron, next run (company time zone) and last run")
    run = jobs.add_parser("run", help="run a job now (alerts already sent are not repeated)")
    run.add_argument("name", help=", ".join(JOB_NAMES))


def _local(plan: Plan, when: datetime | None) -> str:
    return when.astimezone(plan.config.zone).strftime("%Y-%m-%d %H:%M") if when else "—"


async def jobs_command(settings: Settings, lang: str, args: argparse.Namespace) -> int:
    if args.action == "run" and args.name not in JOB_NAMES:
        print(t(lang, "jobs.unknown", name=args.name, names=", ".join(JOB_NAMES)))
        return 2
    app = await build_app(settings)
    try:
        plan = Plan.from_settings(settings)
        board = JobBoard(app.db, plan)
        if args.action == "run":
            run = await board.run_now(args.name)
            print(t(lang, f"cli_jobs.run_{run.outcome}", job=run.job, count=run.count, period=run.period, ms=f"{run.ms:.0f}"))
            return 1 if run.outcome == "error" else 0
        print(t(lang, "cli_jobs.header", zone=settings.company.timezone))
        for job in await board.overview():
            last = t(lang, f"jobs.outcome.{job.last.outcome}", count=job.last.count) if job.last else t(lang, "cli_jobs.never")
            print(
                t(
                    lang,
                    "cli_jobs.line",
                    name=f"{job.name:<20}",
                    cron=f"{job.cron:<14}",
                    next=_local(plan, job.next_run),
                    at=_local(plan, job.last.at if job.last else None),
                    last=last,
                )
            )
        return 0
    finally:
        await app.close()
