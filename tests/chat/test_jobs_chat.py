"""/jobs and /runjob: admins see the jobs and run one now; nobody else does."""

from __future__ import annotations

from storage.tables import job_runs
from tests.chat.harness import ChatHarness
from tests.support import ADMIN, MANAGER, World


async def test_admins_see_every_job_with_its_cron_and_next_run_in_the_company_zone(chat: ChatHarness, lang: str) -> None:
    [listing] = await chat.say(ADMIN, "/jobs", lang)

    for name, cron in [("low_stock_sweep", "*/30 * * * *"), ("daily_digest", "0 18 * * *")]:
        assert name in listing.text and cron in listing.text
    assert "2026-11-23 18:00" in listing.text  # the digest's next run, Shanghai time (the clock says 10:00)
    assert "Asia/Shanghai" in listing.text
    assert ("Last run: not yet" if lang == "en" else "上次运行：尚未运行") in listing.text


async def test_running_a_job_now_then_again_and_the_listing_shows_it(chat: ChatHarness, lang: str) -> None:
    [first] = await chat.say(ADMIN, "/runjob daily_digest", lang)
    [second] = await chat.say(ADMIN, "/runjob daily_digest", lang)
    [listing] = await chat.say(ADMIN, "/jobs", lang)

    assert ("Daily digest: done, 1 new alert" if lang == "en" else "每日简报：已完成，新排队 1 条提醒") in first.text
    assert ("already run" if lang == "en" else "已经运行过") in second.text and "2026-11-23" in second.text
    assert "2026-11-23 10:00" in listing.text  # when it last ran, Shanghai time


async def test_an_unknown_job_gets_the_list_of_names(chat: ChatHarness, lang: str) -> None:
    [unknown] = await chat.say(ADMIN, "/runjob digest", lang)
    [usage] = await chat.say(ADMIN, "/runjob", lang)

    for reply in (unknown, usage):
        assert "low_stock_sweep, overdue_check, approval_reminders, daily_digest" in reply.text
    assert "digest" in unknown.text


async def test_people_who_are_not_admins_are_refused(chat: ChatHarness, world: World) -> None:
    [listing] = await chat.say(MANAGER, "/jobs")
    [run] = await chat.say(MANAGER, "/runjob daily_digest")

    assert listing.text == run.text == "Only admins can see and run the scheduled jobs."
    assert await world.count(job_runs) == 0
