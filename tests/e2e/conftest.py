"""End to end: the real `caixiao run` process against the Bot API emulator, over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import Emulator, EmulatorClient
from bot.emulator.models import ChatMessage
from storage.setup import open_database
from tests.support import ADMIN, BUYER, MANAGER, MANAGER2, SALES, VIEWER, WAREHOUSE, FrozenClock, World

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "424242:" + "E" * 35
SECRET = "e2e-webhook-secret-123"
PEOPLE = {ADMIN: "Ada", MANAGER: "Mia", MANAGER2: "Max", BUYER: "Bo", WAREHOUSE: "Wen", SALES: "Sam", VIEWER: "Vic"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BotProcess:
    """`python -m bot.cli run` with its configuration in the environment, as an operator would."""

    def __init__(self, emu: Emulator, db_url: str, mode: str) -> None:
        self.emu, self.db_url, self.mode = emu, db_url, mode
        self.port = free_port()
        self.proc: asyncio.subprocess.Process | None = None
        self.output = b""
        self.extra: dict[str, str] = {}  # more configuration, as CAIXIAO_<SECTION>__<KEY>

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAIXIAO_") or k.startswith("CAIXIAO_TEST_")}
        env |= {
            "CAIXIAO_TELEGRAM__TOKEN": TOKEN,
            "CAIXIAO_TELEGRAM__API_BASE": self.emu.base_url,
            "CAIXIAO_TELEGRAM__MODE": self.mode,
            "CAIXIAO_DATABASE__URL": self.db_url,
            "CAIXIAO_ACCESS__ADMINS": str(ADMIN),
            "CAIXIAO_LOG_LEVEL": "WARNING",
        } | self.extra
        if self.mode == "webhook":
            env |= {
                "CAIXIAO_TELEGRAM__WEBHOOK_URL": f"http://127.0.0.1:{self.port}/telegram",
                "CAIXIAO_TELEGRAM__WEBHOOK_SECRET": SECRET,
                "CAIXIAO_TELEGRAM__LISTEN_PORT": str(self.port),
            }
        return env

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=self.env(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        client = self.emu.client

        async def ready() -> bool | None:
            if self.proc is not None and self.proc.returncode is not None:
                raise AssertionError(f"bot exited: {await self.read_output()}")
            commands = await client.commands()
            status = await client.status()
            listening = status.get("webhook_url") if self.mode == "webhook" else status.get("pollers_waiting")
            return True if commands and listening else None

        await client.wait_until(ready, timeout=30, what="the bot to start")

    async def read_output(self) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        self.output += await self.proc.stdout.read()
        return self.output.decode(errors="replace")

    async def stop(self) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(40):
                code = await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            code = await self.proc.wait()
        await self.read_output()
        return code


class People:
    """The emulator's users, acting in their private chats with the bot."""

    def __init__(self, client: EmulatorClient) -> None:
        self.client = client

    async def say(self, user_id: int, text: str, *, expect: int = 1, timeout: float = 10) -> list[ChatMessage]:  # noqa: ASYNC109
        """Send text; wait for `expect` new bot messages in that chat and return them."""
        before = len(await self.client.transcript(user_id))
        await self.client.send_text(user_id, text)
        return await self.new_messages(user_id, before, expect, timeout)

    async def new_messages(self, chat_id: int, before: int, expect: int, timeout: float = 10) -> list[ChatMessage]:  # noqa: ASYNC109
        async def enough() -> list[ChatMessage] | None:
            mine = [m for m in (await self.client.transcript(chat_id))[before:] if m.from_bot]
            return mine if len(mine) >= expect else None

        return await self.client.wait_until(enough, timeout=timeout, what=f"{expect} bot message(s) in {chat_id}")

    async def press(self, user_id: int, message: ChatMessage, label: str) -> None:
        button = next(b for b in message.buttons if label in b.text)
        await self.client.press(user_id, message.chat_id, message.message_id, callback_data=button.callback_data)

    async def settled(self) -> None:
        await self.client.wait_until_idle(quiet=0.5, timeout=20)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def company(tmp_path: Path) -> AsyncIterator[tuple[str, World]]:
    """The test company (tests.support.World) in a SQLite file the bot process opens too."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
    db = await open_database(url, admins=[(ADMIN, "Ada")])
    world = World(db, FrozenClock())
    await world.seed()
    try:
        yield url, world
    finally:
        await db.dispose()


@pytest.fixture
async def people(emu: Emulator) -> People:
    client = emu.client
    for uid, name in PEOPLE.items():
        await client.create_user(name, user_id=uid, language_code="zh" if uid in (MANAGER, WAREHOUSE) else "en")
    await client.create_user("Stranger", user_id=999_001, language_code="en")
    return People(client)


def text_of(messages: list[ChatMessage]) -> str:
    return "\n".join(m.content for m in messages)


def last_card(messages: list[ChatMessage]) -> ChatMessage:
    return next(m for m in reversed(messages) if m.buttons)


async def no_errors(client: EmulatorClient) -> None:
    errors = await client.errors()
    assert errors == [], errors


def started(emu: Emulator, company: tuple[str, World], mode: str) -> BotProcess:
    return BotProcess(emu, company[0], mode)
