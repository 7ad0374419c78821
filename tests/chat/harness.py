"""Dispatcher-level harness: real routers, middlewares, database and templates; the Bot API
replaced by a recording session that answers like Telegram would."""

from __future__ import annotations

import itertools
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import Default, DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    SendDocument,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, CallbackQuery, Chat, Document, File, InlineKeyboardMarkup, Message, Update, User

from bot.bootstrap import App
from bot.config import Settings
from bot.dispatcher import build_dispatcher
from notifications.render import visible_length
from tests.support import World

TOKEN = "123456:" + "A" * 35
# Telegram's update ids only grow, also across a bot restart: every harness draws from one counter
# (an idempotency key is "tg:<update_id>", so restarting at 1 would look like a redelivery).
UPDATE_IDS = itertools.count(1)
# Which update the bot is handling while it sends: replies to updates fed at once stay apart.
HANDLING: ContextVar[int | None] = ContextVar("handling", default=None)
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "tg-spoiler", "blockquote", "span"}
_MARKUP = re.compile(r"<(/?)([a-z-]+)(?:\s[^<>]*)?>|&(?:[a-z]+|#\d+|#x[0-9a-f]+);|[<>&]", re.IGNORECASE)


def check_html(text: str) -> None:
    """What Telegram's HTML parse mode refuses: an unknown or unbalanced tag, a bare < or &."""
    open_tags: list[str] = []
    for m in _MARKUP.finditer(text):
        token = m.group(0)
        if token in "<>&":
            raise AssertionError(f"unescaped {token!r} in {text!r}")
        if token.startswith("&"):
            continue
        closing, name = m.group(1), m.group(2).lower()
        assert name in _TAGS, f"unsupported tag <{name}> in {text!r}"
        if closing:
            assert open_tags and open_tags.pop() == name, f"unbalanced </{name}> in {text!r}"
        else:
            open_tags.append(name)
    assert not open_tags, f"unclosed {open_tags} in {text!r}"


@dataclass
class Sent:
    chat_id: int
    message_id: int
    text: str
    markup: InlineKeyboardMarkup | None
    edits: int = 0
    raw_markup: Any = None  # what reply_markup the bot sent, of any kind (e.g. ForceReply)
    update_id: int | None = None  # the update it answered
    file: tuple[str, bytes] | None = None  # a document the bot sent: its name and content (text: the caption)

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
    files: dict[str, bytes] = field(default_factory=dict)  # what people uploaded, by file_id (and file_path)

    def __post_init__(self) -> None:
        super().__init__()

    async def close(self) -> None:
        pass

    async def stream_content(self, url: str, *args: Any, **kwargs: Any) -> Any:
        yield self.files[url.rsplit("/", 1)[1]]

    def _message(self, chat_id: int, message_id: int, text: str) -> Message:
        return Message(message_id=message_id, date=datetime.now(UTC), chat=Chat(id=chat_id, type="private"), text=text)

    @staticmethod
    def _check(bot: Bot, text: str, parse_mode: Any, markup: InlineKeyboardMarkup | None) -> None:
        if isinstance(parse_mode, Default):
            parse_mode = bot.default[parse_mode.name]
        if parse_mode == ParseMode.HTML:
            check_html(text)
            assert 0 < visible_length(text) <= 4096, text
        else:
            assert 0 < len(text) <= 4096, text
        for _label, data in Sent(0, 0, "", markup).buttons():
            assert 0 < len(data.encode()) <= 64, data

    async def make_request(self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None) -> TelegramType:  # noqa: ASYNC109
        self.calls.append(method)
        if isinstance(method, SendMessage):
            markup = method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
            self._check(bot, method.text, method.parse_mode, markup)
            sent = Sent(
                int(method.chat_id), next(self.ids), method.text, markup, raw_markup=method.reply_markup, update_id=HANDLING.get()
            )
            self.messages[(sent.chat_id, sent.message_id)] = sent
            self.log.append(sent)
            return self._message(sent.chat_id, sent.message_id, method.text)  # type: ignore[return-value]
        if isinstance(method, EditMessageText):
            key = (int(method.chat_id or 0), int(method.message_id or 0))
            old = self.messages.get(key)
            if old is None:
                raise TelegramBadRequest(method, "Bad Request: message to edit not found")
            text = method.text or ""
            self._check(bot, text, method.parse_mode, method.reply_markup)
            if (old.text, old.markup) == (text, method.reply_markup):
                raise TelegramBadRequest(
                    method,
                    "Bad Request: message is not modified: specified new message content and reply markup are "
                    "exactly the same as a current content and reply markup of the message",
                )
            old.text, old.markup, old.edits = text, method.reply_markup, old.edits + 1
            return self._message(key[0], key[1], text)  # type: ignore[return-value]
        if isinstance(method, GetFile):
            if method.file_id not in self.files:
                raise TelegramBadRequest(method, "Bad Request: invalid file_id")
            size = len(self.files[method.file_id])
            return File(
                file_id=method.file_id, file_unique_id=method.file_id, file_size=size, file_path=f"documents/{method.file_id}"
            )  # type: ignore[return-value]
        if isinstance(method, SendDocument):
            assert isinstance(method.document, BufferedInputFile), "the bot sends documents it made"
            caption = method.caption or ""
            if caption:
                self._check(bot, caption, method.parse_mode, None)
                assert visible_length(caption) <= 1024, caption
            data, name = method.document.data, method.document.filename or "file"
            sent = Sent(int(method.chat_id), next(self.ids), caption, None, update_id=HANDLING.get(), file=(name, data))
            self.log.append(sent)
            return self._message(sent.chat_id, sent.message_id, caption)  # type: ignore[return-value]
        if isinstance(method, AnswerCallbackQuery):
            self.answers.append(method)
        if isinstance(method, EditMessageReplyMarkup):
            key = (int(method.chat_id or 0), int(method.message_id or 0))
            old = self.messages.get(key)
            if old is None:
                raise TelegramBadRequest(method, "Bad Request: message to edit not found")
            if old.markup == method.reply_markup:
                raise TelegramBadRequest(method, "Bad Request: message is not modified")
            old.markup, old.edits = method.reply_markup, old.edits + 1
            return self._message(key[0], key[1], old.text)  # type: ignore[return-value]
        if isinstance(method, (AnswerCallbackQuery, DeleteMessage)):
            return True  # type: ignore[return-value]
        return True  # type: ignore[return-value]


class ChatHarness:
    """`recorder`: pass the one of an earlier harness to simulate a bot restart (a new process,
    same Telegram side: the messages sent before the restart are still there to edit)."""

    def __init__(self, world: World, settings: Settings | None = None, *, recorder: Recorder | None = None) -> None:
        self.world = world
        self.recorder = recorder or Recorder()
        self.bot = Bot(TOKEN, session=self.recorder, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
        app = App(settings or Settings(), world.db, world.bus)
        self.dp: Dispatcher = build_dispatcher(app, self.bot)
        self.update_ids = UPDATE_IDS
        self.message_ids = itertools.count(1)

    def _user(self, user_id: int, lang: str) -> User:
        return User(id=user_id, is_bot=False, first_name=f"u{user_id}", language_code=lang)

    async def feed(self, update: Update) -> list[Sent]:
        """Handle one update; what the bot sent while handling it (edits are seen on the Sent)."""
        before = len(self.recorder.log)
        token = HANDLING.set(update.update_id)
        try:
            await self.dp.feed_update(self.bot, update)
            await self.dp["actors"].settle()  # a language write started beside the answer
        finally:
            HANDLING.reset(token)
        return [s for s in self.recorder.log[before:] if s.update_id == update.update_id]

    async def say(self, user_id: int, text: str, lang: str = "en", *, update_id: int | None = None) -> list[Sent]:
        """A private message from the user; returns what the bot sent in reply."""
        message = Message(
            message_id=next(self.message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=user_id, type="private"),
            from_user=self._user(user_id, lang),
            text=text,
        )
        return await self.feed(Update(update_id=update_id or next(self.update_ids), message=message))

    async def press(self, user_id: int, sent: Sent, label: str, lang: str = "en", *, update_id: int | None = None) -> list[Sent]:
        """Press the button whose text contains `label` on a message the bot sent."""
        data = next(d for text, d in sent.buttons() if label in text)
        return await self.press_data(user_id, sent, data, lang, update_id=update_id)

    async def press_data(
        self, user_id: int, sent: Sent, data: str, lang: str = "en", *, update_id: int | None = None
    ) -> list[Sent]:
        query = CallbackQuery(
            id=str(next(self.update_ids)),
            from_user=self._user(user_id, lang),
            chat_instance="ci",
            data=data,
            message=self.recorder._message(sent.chat_id, sent.message_id, sent.text),
        )
        return await self.feed(Update(update_id=update_id or next(self.update_ids), callback_query=query))

    async def send_document(
        self,
        user_id: int,
        content: bytes,
        file_name: str,
        caption: str | None = None,
        lang: str = "en",
        *,
        size: int | None = None,
    ) -> list[Sent]:
        """A document from the user in their private chat (Telegram keeps it: getFile serves it).
        `size`: what Telegram says the size is, when a test wants it to differ from the content."""
        file_id = f"doc{len(self.recorder.files) + 1}"
        self.recorder.files[file_id] = content
        document = Document(file_id=file_id, file_unique_id=file_id, file_name=file_name, file_size=size or len(content))
        message = Message(
            message_id=next(self.message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=user_id, type="private"),
            from_user=self._user(user_id, lang),
            document=document,
            caption=caption,
        )
        return await self.feed(Update(update_id=next(self.update_ids), message=message))

    def last(self, chat_id: int) -> Sent:
        return next(s for s in reversed(self.recorder.log) if s.chat_id == chat_id)
