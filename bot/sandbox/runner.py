"""Start-up and shut-down of the sandbox: the Bot API emulator on a free local port, a sample
database, the real bot polling the emulator with the background services `caixiao run` has
(bot.serve.background), and the terminal chat in between. All in this one process."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from pydantic import SecretStr
from sqlalchemy import func, select

from bot import sample
from bot.bootstrap import build_app, make_env
from bot.config import AccessConfig, DatabaseConfig, Settings, TelegramConfig
from bot.emulator import Emulator
from bot.i18n import t
from bot.sandbox.lines import Lines, ScriptLines, StdinLines
from bot.sandbox.session import Session
from bot.sandbox.world import GROUPS, PEOPLE, bind_groups, past_announced, populate
from bot.serve import background, prepare, publish_commands
from storage.database import Database
from storage.setup import open_database
from storage.tables import deliveries, outbox
from storage.uow import SqlUnitOfWorkFactory

# Shaped like a real token (config validation), and obviously not one.
TOKEN = "700000001:caixiao-sandbox-local-emulator-token"
DB_NAME = "sandbox.db"


class Progress(BaseMiddleware):
    """How far the bot has got: each update is noted once the dispatcher is done with it, so a
    step waits for exactly its own; and whether alerts are still due to be routed or sent."""

    def __init__(self) -> None:
        self.done: set[int] = set()
        self.db: Database | None = None
        self._changed = asyncio.Condition()

    async def __call__(
        self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]], event: TelegramObject, data: dict[str, Any]
    ) -> Any:
        assert isinstance(event, Update)
        try:
            return await handler(event, data)
        finally:
            async with self._changed:
                self.done.add(event.update_id)
                self._changed.notify_all()

    async def finished(self, update_id: int, timeout: float) -> bool:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: update_id in self.done)
        except TimeoutError:
            return False
        return True

    async def alerts_due(self) -> bool:
        if self.db is None:
            return False
        now = datetime.now(UTC)
        o, d = outbox.c, deliveries.c
        async with self.db.reading() as conn:
            for table, status, due in ((outbox, o.status, o.next_attempt_at), (deliveries, d.status, d.next_attempt_at)):
                if await conn.scalar(select(func.count()).select_from(table).where(status == "pending", due <= now)):
                    return True
        return False


def tour(lang: str) -> Path:
    """The shipped tour in this language (package data)."""
    return Path(str(resources.files("bot.sandbox") / "tours" / f"tour_{lang}.txt"))


def sandbox_settings(settings: Settings, db: Path, api_base: str, lang: str) -> Settings:
    """The operator's settings (approval ladder, schedule…) pointed at the emulator and the sample."""
    return settings.model_copy(
        update={
            "database": DatabaseConfig(url=f"sqlite+aiosqlite:///{db}"),
            "telegram": TelegramConfig(token=SecretStr(TOKEN), api_base=api_base),
            "access": AccessConfig(admins=[sample.ADMIN]),
            "company": settings.company.model_copy(update={"language": lang}),
            "dialogue": settings.dialogue.model_copy(update={"storage": "sql"}),
            # The emulator sets no flood limits: alerts need not queue behind Telegram's pace here.
            "sender": settings.sender.model_copy(
                update={"per_chat_per_second": 30, "per_group_per_minute": 600, "global_per_second": 1000, "poll_seconds": 0.5}
            ),
        }
    )


@contextlib.contextmanager
def _folder(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    folder = Path(tempfile.mkdtemp(prefix="caixiao-sandbox-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _prepare(settings: Settings, fresh: bool) -> None:
    db = await open_database(settings.database.url, admins=[(sample.ADMIN, sample.ADMIN_NAME)])
    try:
        env = make_env(settings)
        if fresh:
            await sample.seed_sample(SqlUnitOfWorkFactory(db), env)
            await past_announced(db, env.now() - timedelta(days=1))
        await bind_groups(db, settings.company.language, env.now())
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def _bot_running(settings: Settings, progress: Progress) -> AsyncIterator[asyncio.Task[None]]:
    """The bot as `caixiao run` starts it, with a hook that tells when each update is handled."""
    app = await build_app(settings)
    bot, dp, inflight = prepare(app)
    dp.update.outer_middleware(progress)
    progress.db = app.db
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await publish_commands(bot, settings.company.language)
        async with background(app, bot):
            # Signals stay with the sandbox: Ctrl-C ends it as a whole, not just the polling.
            polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False))
            try:
                yield polling
            finally:
                if not polling.done():
                    await dp.stop_polling()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
    finally:
        progress.db = None
        await inflight.drain(5)
        await dp.storage.close()
        await bot.session.close()
        await app.close()


async def _until_polling(emu: Emulator, polling: asyncio.Task[None]) -> None:
    async def ready() -> bool | None:
        if polling.done():
            polling.result()  # its error, if it failed
            raise RuntimeError("the bot stopped during start-up")
        return True if (await emu.client.status())["pollers_waiting"] else None

    await emu.client.wait_until(ready, timeout=30, what="the bot to start polling")


async def run_sandbox(
    settings: Settings,
    lang: str,
    *,
    script: Path | None = None,
    keep: Path | None = None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Chat with the sample company from the terminal (or play a script). Exit status: 0; with a
    script, 1 when a step failed or the bot got any Bot API error."""
    stdin, out = stdin or sys.stdin, out or sys.stdout
    text = await asyncio.to_thread(script.read_text, encoding="utf-8") if script else None
    lines: Lines = ScriptLines(text.splitlines()) if text is not None else StdinLines(stdin, out)
    progress = Progress()
    with _folder(keep) as folder, contextlib.closing(lines):
        db_path = folder / DB_NAME
        fresh = not db_path.exists()
        async with Emulator(token=TOKEN) as emu:
            demo = sandbox_settings(settings, db_path, emu.base_url, lang)
            out.write(t(lang, "sandbox.starting", url=emu.base_url, db=db_path if keep else t(lang, "sandbox.temporary")) + "\n")
            if not fresh:
                out.write(t(lang, "sandbox.continuing", db=db_path) + "\n")
            await _prepare(demo, fresh)
            await populate(emu.client)
            session = Session(emu.client, progress, lang, out)
            async with _bot_running(demo, progress) as polling:
                await _until_polling(emu, polling)
                out.write(t(lang, "sandbox.ready", people=len(PEOPLE), groups=len(GROUPS), name=session.person.name) + "\n")
                chatting = asyncio.create_task(session.run(lines, live=script is None and stdin.isatty()))
                try:
                    await asyncio.wait({chatting, polling}, return_when=asyncio.FIRST_COMPLETED)
                finally:  # also on Ctrl-C: the chat stops before the bot and the emulator do
                    if not chatting.done():
                        chatting.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await chatting
                if chatting.cancelled():
                    polling.result()  # the bot's own error, if it had one
                    out.write(t(lang, "sandbox.bot_stopped") + "\n")
                    return 1
                chatting.result()
            errors = len(await emu.client.errors())
    out.write(t(lang, "sandbox.errors_total", count=errors) + "\n")
    if script is not None and (errors or session.failures):
        out.write(t(lang, "sandbox.failed", failures=session.failures, errors=errors) + "\n")
        return 1
    return 0
