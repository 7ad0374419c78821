"""/jobs and /runjob <name>: the scheduler's jobs for admins — crons, next and last runs, run one now."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from domain.jobs import JOB_NAMES, JobControl
from domain.master import ADMINISTRATION, User
from notifications.i18n import t
from notifications.render import Renderer


def router() -> Router:
    r = Router(name="jobs")

    @r.message(Command("jobs"))
    async def list_jobs(message: Message, actor: User, lang: str, jobs: JobControl, render: Renderer) -> None:
        if not actor.may(ADMINISTRATION):
            await message.answer(render.text(lang, "jobs.admin_only"))
            return
        overview = await jobs.overview()
        await message.answer(render.render("jobs.html", lang, jobs=overview, zone=str(render.timezone)))

    @r.message(Command("runjob"))
    async def run_job(
        message: Message, command: CommandObject, actor: User, lang: str, jobs: JobControl, render: Renderer
    ) -> None:
        if not actor.may(ADMINISTRATION):
            await message.answer(render.text(lang, "jobs.admin_only"))
            return
        name = (command.args or "").strip().lower()
        if name not in JOB_NAMES:
            key = "jobs.unknown" if name else "jobs.usage"
            await message.answer(render.text(lang, key, name=name[:40], names=", ".join(JOB_NAMES)))
            return
        run = await jobs.run_now(name)
        job = t(lang, f"jobs.name.{name}")
        await message.answer(render.text(lang, f"jobs.run_{run.outcome}", job=job, count=run.count, period=run.period))

    return r
