"""Dispatcher-level harness: real routers, middlewares, database and templates; the Bot API
replaced by a recording session that answers like Telegram would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, InlineKeyboardMarkup, Message, Update, User

from bot.bootstrap import App
from bot.config import Settings
from bot.dispatcher import build_dispatcher
from notifications.render import visible_length
from tests.support import World

TOKEN = "123456:" + "A" * 35


@dataclass
class Sent:
    chat_id: int
    message_id: int
    text: str
    markup: InlineKeyboardMarkup | None
    edits: int = 0

    def buttons(self) -> list[tuple[str, str]]:
        if self.markup is None:
            return []
        return [(b.text, b.callback_data or "") for row in self.markup.inline_keyboard for b in row]


@dataclass
class Recorder(BaseSession):
    calls: list[TelegramMethod[Any]] = field(default_factory=list)
    messages: dict[tuple[int, int], Sent] = field(default_factory=dict)
    log: list[Sent] = field(default_factory=list)  # in the order sent
    answers: list[AnswerCallbackQuery] = field(default_factory=list)
    ids: Any = field(default_factory=lambda: itertools.count(1000))

    def __post_init__(self) -> None:
        super().__init__()

    async def close(self) -> None:
        pass

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _message(self, chat_id: int, message_id: int, text: str) -> Message:
        return Message(message_id=message_id, date=datetime.now(UTC), chat=Chat(id=chat_id, type="private"), text=text)

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None) -> TelegramType:  # noqa: ASYNC109
        self.calls.append(method)
        if isinstance(method, SendMessage):
            assert 0 < visible_length(method.text) <= 4096, method.text
            markup = method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
            for _label, data in Sent(0, 0, "", markup).buttons():
                assert len(data.encode()) <= 64, data
            sent = Sent(int(method.chat_id), next(self.ids), method.text, markup)
            self.messages[(sent.chat_id, sent.message_id)] = sent
            self.log.append(sent)
            return self._message(sent.chat_id, sent.message_id, method.text)  # type: ignore[return-value]
        if isinstance(method, EditMessageText):
            key = (int(method.chat_id or 0), int(method.message_id or 0))
            old = self.messages[key]
            assert 0 < visible_length(method.text) <= 4096
            old.text, old.markup, old.edits = method.text, method.reply_markup, old.edits + 1
            return self._message(key[0], key[1], method.text)  # type: ignore[return-value]
        if isinstance(method, AnswerCallbackQuery):
            self.answers.append(method)
        if isinstance(method, (AnswerCallbackQuery, DeleteMessage, EditMessageReplyMarkup)):
            return True  # type: ignore[return-value]
        return True  # type: ignore[return-value]


class ChatHarness:
    def __init__(self, world: World, settings: Settings | None = None) -> None:
        self.world = world
        self.recorder = Recorder()
        self.bot = Bot(TOKEN, session=self.recorder)
        app = App(settings or Settings(), world.db, world.bus)
        self.dp: Dispatcher = build_dispatcher(app, self.bot)
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1)

    def _user(self, user_id: int, lang: str) -> User:
        return User(id=user_id, is_bot=False, first_name=f"u{user_id}", language_code=lang)

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    async def say(self, user_id: int, text: str, lang: str = "en", *, update_id: int | None = None) -> list[Sent]:
        """A private message from the user; returns what the bot sent in reply."""
        before = len(self.recorder.log)
        message = Message(
            message_id=next(self.message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=user_id, type="private"),
            from_user=self._user(user_id, lang),
            text=text,
        )
        await self.feed(Update(update_id=update_id or next(self.update_ids), message=message))
        return self.recorder.log[before:]

    async def press(self, user_id: int, sent: Sent, label: str, lang: str = "en", *, update_id: int | None = None) -> list[Sent]:
        """Press the button whose text contains `label` on a message the bot sent."""
        data = next(d for text, d in sent.buttons() if label in text)
        return await self.press_data(user_id, sent, data, lang, update_id=update_id)

    async def press_data(
        self, user_id: int, sent: Sent, data: str, lang: str = "en", *, update_id: int | None = None
    ) -> list[Sent]:
        before = len(self.recorder.log)
        query = CallbackQuery(
            id=str(next(self.update_ids)),
            from_user=self._user(user_id, lang),
            chat_instance="ci",
            data=data,
            message=self.recorder._message(sent.chat_id, sent.message_id, sent.text),
        )
        await self.feed(Update(update_id=update_id or next(self.update_ids), callback_query=query))
        return self.recorder.log[before:]

    def last(self, chat_id: int) -> Sent:
        return next(s for s in reversed(self.recorder.log) if s.chat_id == chat_id)
