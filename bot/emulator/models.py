"""What the control client hands back: typed views of the emulator's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    text: str
    row: int
    column: int
    callback_data: str | None = None
    url: str | None = None
    style: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatMessage:
    """One message of a chat transcript, as it stands now (after edits; deleted ones stay, flagged)."""

    chat_id: int
    message_id: int
    thread_id: int | None
    from_id: int
    from_bot: bool
    sender: str
    text: str | None
    entities: list[dict[str, Any]]
    caption: str | None
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    reply_to_message_id: int | None
    document: dict[str, Any] | None
    photo: list[dict[str, Any]] | None
    service: dict[str, Any] | None
    edits: list[dict[str, Any]]  # earlier versions: {"text", "caption", "reply_markup", "replaced_at"}
    edited: bool
    deleted: bool
    date: int
    sent_at: float

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatMessage:
        return cls(**data)

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has."""
        return self.text if self.text is not None else self.caption or ""

    @property
    def buttons(self) -> list[Button]:
        """The inline keyboard's buttons, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [
            Button(b["text"], r, c, b.get("callback_data"), b.get("url"), b.get("style"), b)
            for r, row in enumerate(rows)
            for c, b in enumerate(row)
        ]

    @property
    def button_texts(self) -> list[str]:
        return [b.text for b in self.buttons]


@dataclass(frozen=True)
class Injected:
    """A user action turned into an update; update is None if the bot's allowed_updates dropped it."""

    update: dict[str, Any] | None
    message: ChatMessage | None = None
    query_id: str | None = None

    @property
    def update_id(self) -> int | None:
        return int(self.update["update_id"]) if self.update else None


@dataclass(frozen=True)
class CallbackAnswer:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool
    answer: dict[str, Any]  # {"text", "show_alert", "url", "cache_time"} once answered

    @property
    def text(self) -> str | None:
        value = self.answer.get("text")
        return str(value) if value is not None else None


@dataclass(frozen=True)
class InlineAnswer:
    id: str
    user_id: int
    query: str
    answered: bool
    answer: dict[str, Any]  # {"results", "cache_time", "is_personal", "next_offset", "button"}


@dataclass(frozen=True)
class ApiErrorRecord:
    """An error the emulator returned to the bot."""

    method: str
    code: int
    description: str
    retry_after: int | None
    params: dict[str, str]
    at: float


@dataclass(frozen=True)
class Group:
    id: int
    type: str
    title: str
    members: list[int]
    admins: list[int]
    topics: dict[str, int]  # topic name -> message_thread_id
    is_forum: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Group:
        return cls(
            id=data["id"],
            type=data["type"],
            title=data["title"],
            members=data["members"],
            admins=data["admins"],
            topics=data["topics"],
            is_forum=bool(data.get("is_forum")),
        )
