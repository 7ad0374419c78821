"""Everything the emulated Telegram knows: the bot, users, chats, messages, files, queries, errors."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import ControlError
from bot.emulator.limits import FloodGate, FloodLimits
from bot.emulator.updates import UpdateQueue


@dataclass
class User:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    blocked_bot: bool = False
    started: bool = True  # a bot may only write to people who have opened a chat with it

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    members: set[int] = field(default_factory=set)
    admins: set[int] = field(default_factory=set)
    topics: dict[int, str] = field(default_factory=dict)  # thread id -> name
    bot_is_member: bool = True
    next_message_id: int = 1

    @property
    def is_group(self) -> bool:
        return self.type != "private"


@dataclass
class Edit:
    """A message's content as it was before an edit replaced it."""

    text: str | None
    caption: str | None
    reply_markup: dict[str, Any] | None
    replaced_at: float


@dataclass
class Message:
    chat_id: int
    message_id: int
    from_id: int
    from_bot: bool
    date: int
    sent_at: float  # time.time() with sub-second precision, for flood-rate assertions
    thread_id: int | None = None
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    document: dict[str, Any] | None = None
    photo: list[dict[str, Any]] | None = None
    service: dict[str, Any] | None = None  # e.g. {"forum_topic_created": {...}}
    forward_origin: dict[str, Any] | None = None  # a forwarded message: who wrote it first
    edits: list[Edit] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str | None
    mime_type: str | None


@dataclass
class CallbackQuery:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class InlineQuery:
    id: str
    user_id: int
    query: str
    answered: bool = False
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class ErrorRecord:
    method: str
    code: int
    description: str
    retry_after: int | None
    params: dict[str, str]
    at: float


class State:
    def __init__(
        self, token: str, bot_username: str, limits: FloodLimits | None = None, clock: Callable[[], float] | None = None
    ) -> None:
        self.token = token
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot = User(id=bot_id, first_name="Caixiao", username=bot_username, is_bot=True)
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[tuple[int, int], Message] = {}
        self.order: dict[int, list[int]] = {}  # chat id -> message ids in sending order
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.inline_queries: dict[str, InlineQuery] = {}
        self.errors: list[ErrorRecord] = []
        self.chat_actions: list[dict[str, Any]] = []
        self.commands: dict[str, list[dict[str, str]]] = {}  # scope+language key -> commands
        self.flood = FloodGate(limits, clock or time.monotonic)
        self.updates = UpdateQueue(self.touch)
        self.version = 0
        self._changed = asyncio.Event()
        self._ids = itertools.count(1_000_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_001)
        self.last_bot_activity = time.monotonic()
        self.bot_requests_in_flight = 0

    # --- change notification: every mutation bumps the version so waiters wake without polling

    def touch(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, since: int, seconds: float) -> int:
        if self.version == since:
            event = self._changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await event.wait()
        return self.version

    # --- ids

    def new_user_id(self) -> int:
        while (candidate := next(self._ids)) in self.users:
            continue
        return candidate

    def new_group_id(self, supergroup: bool) -> int:
        n = next(self._group_ids)
        return -(1_000_000_000_000 + n) if supergroup else -(4_000_000_000 + n)

    def new_query_id(self) -> str:
        return str(next(self._query_ids))

    # --- lookups

    def user(self, user_id: int) -> User:
        if user_id not in self.users:
            raise ControlError(f"unknown user {user_id}", 404)
        return self.users[user_id]

    def chat(self, chat_id: int) -> Chat:
        if chat_id not in self.chats:
            raise ControlError(f"unknown chat {chat_id}", 404)
        return self.chats[chat_id]

    def message(self, chat_id: int, message_id: int) -> Message | None:
        return self.messages.get((chat_id, message_id))

    def private_chat(self, user: User) -> Chat:
        if user.id not in self.chats:
            self.chats[user.id] = Chat(id=user.id, type="private", members={user.id})
        return self.chats[user.id]

    def add_message(self, message: Message) -> Message:
        self.messages[(message.chat_id, message.message_id)] = message
        self.order.setdefault(message.chat_id, []).append(message.message_id)
        self.touch()
        return message

    def next_message_id(self, chat: Chat) -> int:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return message_id

    def store_file(self, content: bytes, file_name: str | None, mime_type: str | None, folder: str) -> StoredFile:
        file_unique_id = secrets.token_urlsafe(12)
        file_id = "BQAC" + secrets.token_urlsafe(40)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        path = f"{folder}/file_{len(self.files)}{suffix}"
        stored = StoredFile(file_id, file_unique_id, path, content, file_name, mime_type)
        self.files[file_id] = stored
        self.files_by_path[path] = stored
        return stored
