"""What users do, as the control API offers it: the world's setup and every kind of user input.

Each input becomes an update in the bot's queue, shaped exactly as Telegram would send it.
"""

from __future__ import annotations

import mimetypes
import re
import time
from typing import Any

from bot.emulator.errors import ControlError
from bot.emulator.state import CallbackQuery, Chat, InlineQuery, Message, State, User
from bot.emulator.wire import chat_json, message_json, transcript_json, user_json

_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def create_user(
    state: State,
    first_name: str,
    user_id: int | None = None,
    username: str | None = None,
    last_name: str | None = None,
    language_code: str | None = "en",
    started: bool = True,
) -> dict[str, Any]:
    uid = user_id if user_id is not None else state.new_user_id()
    if uid <= 0:
        raise ControlError("user ids are positive")
    if uid in state.users:
        raise ControlError(f"user {uid} exists")
    user = User(uid, first_name, username, last_name, language_code, started=started)
    state.users[uid] = user
    state.private_chat(user)
    state.touch()
    return user_json(user)


def create_group(
    state: State,
    title: str,
    members: list[int] | None = None,
    admins: list[int] | None = None,
    forum: bool = False,
    supergroup: bool = False,
    topics: list[str] | None = None,
    chat_id: int | None = None,
    username: str | None = None,
) -> dict[str, Any]:
    is_super = supergroup or forum
    cid = chat_id if chat_id is not None else state.new_group_id(is_super)
    if cid >= 0 or cid in state.chats:
        raise ControlError(f"group id {cid} is taken or not negative")
    chat = Chat(id=cid, type="supergroup" if is_super else "group", title=title, username=username, is_forum=forum)
    if forum:
        chat.next_message_id = 2  # thread id 1 is the General topic; no created topic may take it
    state.chats[cid] = chat
    for uid in [*(members or []), *(admins or [])]:
        chat.members.add(state.user(uid).id)
    chat.admins.update(admins or [])
    for name in topics or []:
        create_topic(state, cid, name)
    state.touch()
    return group_json(state, chat)


def group_json(state: State, chat: Chat) -> dict[str, Any]:
    return chat_json(state, chat) | {
        "members": sorted(chat.members),
        "admins": sorted(chat.admins),
        "topics": {name: thread for thread, name in chat.topics.items()},
    }


def create_topic(state: State, chat_id: int, name: str, creator_id: int | None = None) -> int:
    """A forum topic; its thread id is the id of the service message that opened it (as in Telegram)."""
    chat = state.chat(chat_id)
    if not chat.is_forum:
        raise ControlError(f"chat {chat_id} is not a forum")
    creator = creator_id if creator_id is not None else min(chat.admins or chat.members or {0})
    message_id = state.next_message_id(chat)
    now = time.time()
    chat.topics[message_id] = name
    sender = creator if creator in state.users else None
    state.add_message(
        Message(
            chat_id=chat.id,
            message_id=message_id,
            from_id=sender if sender is not None else state.bot.id,
            from_bot=sender is None,
            date=int(now),
            sent_at=now,
            thread_id=message_id,
            service={"forum_topic_created": {"name": name, "icon_color": 7322096}},
        )
    )
    return message_id


def add_member(state: State, chat_id: int, user_id: int, admin: bool = False) -> dict[str, Any]:
    chat = state.chat(chat_id)
    if not chat.is_group:
        raise ControlError("private chats have no members to add")
    chat.members.add(state.user(user_id).id)
    if admin:
        chat.admins.add(user_id)
    state.touch()
    return group_json(state, chat)


def remove_member(state: State, chat_id: int, user_id: int) -> dict[str, Any]:
    chat = state.chat(chat_id)
    chat.members.discard(user_id)
    chat.admins.discard(user_id)
    state.touch()
    return group_json(state, chat)


def set_bot_member(state: State, chat_id: int, member: bool) -> None:
    """Take the bot out of a group (its sends then get 403) or put it back."""
    chat = state.chat(chat_id)
    if not chat.is_group:
        raise ControlError("use block() for private chats")
    if chat.bot_is_member != member:
        by = min(chat.admins or chat.members or {state.bot.id})
        was, now = ("left", "member") if member else ("member", "left")
        _bot_status_changed(state, chat, state.user(by) if by in state.users else state.bot, was, now)
    chat.bot_is_member = member
    state.touch()


def set_blocked(state: State, user_id: int, blocked: bool = True) -> None:
    user = state.user(user_id)
    if user.blocked_bot != blocked and user.started:
        was, now = ("member", "kicked") if blocked else ("kicked", "member")
        _bot_status_changed(state, state.private_chat(user), user, was, now)
    user.blocked_bot = blocked
    state.touch()


def _bot_status_changed(state: State, chat: Chat, by: User, was: str, now: str) -> None:
    """Telegram's my_chat_member update: the bot's membership in a chat changed (a person
    blocked or unblocked it, or a group took it out or let it back in)."""
    at = int(time.time())

    def member(status: str) -> dict[str, Any]:
        extra = {"until_date": 0} if status == "kicked" else {}
        return {"status": status, "user": user_json(state.bot)} | extra

    update = {"chat": chat_json(state, chat), "from": user_json(by), "date": at}
    state.updates.push("my_chat_member", update | {"old_chat_member": member(was), "new_chat_member": member(now)})


def _user_chat(state: State, user_id: int, chat_id: int | None) -> tuple[User, Chat]:
    user = state.user(user_id)
    if chat_id is None or chat_id == user_id:
        # Writing to the bot unblocks it and opens the chat, as it does in Telegram.
        set_blocked(state, user.id, False)
        user.started = True
        return user, state.private_chat(user)
    chat = state.chat(chat_id)
    if chat.type == "private":
        raise ControlError("a user can only write in their own private chat with the bot")
    if user_id not in chat.members:
        raise ControlError(f"user {user_id} is not a member of chat {chat_id}")
    if not chat.bot_is_member:
        raise ControlError(f"the bot is not in chat {chat_id}")
    return user, chat


def _user_message(
    state: State,
    user_id: int,
    chat_id: int | None,
    thread_id: int | None,
    reply_to: int | None,
    **content: Any,
) -> dict[str, Any]:
    user, chat = _user_chat(state, user_id, chat_id)
    if thread_id is not None and thread_id not in chat.topics:
        raise ControlError(f"chat {chat.id} has no topic {thread_id}")
    if reply_to is not None:
        replied = state.message(chat.id, reply_to)
        if replied is None or replied.deleted:
            raise ControlError(f"no message {reply_to} to reply to in chat {chat.id}")
        if thread_id is None:
            thread_id = replied.thread_id
    now = time.time()
    message = state.add_message(
        Message(
            chat_id=chat.id,
            message_id=state.next_message_id(chat),
            from_id=user.id,
            from_bot=False,
            date=int(now),
            sent_at=now,
            thread_id=thread_id,
            reply_to_message_id=reply_to,
            **content,
        )
    )
    update = state.updates.push("message", message_json(state, message))
    return {"update": update, "message": transcript_json(state, message)}


def forward_text(state: State, user_id: int, from_user_id: int, text: str) -> dict[str, Any]:
    """The user forwards to the bot a message `from_user_id` once wrote (Telegram shows who wrote
    it first: forward_origin; a hidden sender is not modelled)."""
    if not text.strip():
        raise ControlError("a user cannot forward an empty message")
    origin = {"type": "user", "sender_user": user_json(state.user(from_user_id)), "date": int(time.time()) - 60}
    return _user_message(state, user_id, None, None, None, text=text, forward_origin=origin)


def send_text(
    state: State,
    user_id: int,
    text: str,
    chat_id: int | None = None,
    thread_id: int | None = None,
    reply_to: int | None = None,
) -> dict[str, Any]:
    if not text.strip():
        raise ControlError("a user cannot send an empty message")
    entities = [
        {"type": "bot_command", "offset": _utf16(text[: m.start()]), "length": _utf16(m.group())} for m in _COMMAND.finditer(text)
    ]
    return _user_message(state, user_id, chat_id, thread_id, reply_to, text=text, entities=entities)


def send_document(
    state: State,
    user_id: int,
    content: bytes,
    file_name: str,
    mime_type: str | None = None,
    caption: str | None = None,
    chat_id: int | None = None,
    thread_id: int | None = None,
) -> dict[str, Any]:
    mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    stored = state.store_file(content, file_name, mime, "documents")
    document = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": file_name,
        "mime_type": mime,
        "file_size": len(content),
    }
    return _user_message(state, user_id, chat_id, thread_id, None, document=document, caption=caption)


def press_button(
    state: State,
    user_id: int,
    chat_id: int,
    message_id: int,
    text: str | None = None,
    callback_data: str | None = None,
) -> dict[str, Any]:
    """A tap on a callback button that is on the message now; anything else is refused."""
    user = state.user(user_id)
    chat = state.chat(chat_id)
    if chat.is_group and user_id not in chat.members:
        raise ControlError(f"user {user_id} is not a member of chat {chat_id}")
    if chat.type == "private" and chat.id != user_id:
        raise ControlError("a user can only press buttons in their own chat with the bot")
    message = state.message(chat_id, message_id)
    if message is None or message.deleted:
        raise ControlError(f"no message {message_id} in chat {chat_id}")
    buttons = [b for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]
    matches = [
        b
        for b in buttons
        if "callback_data" in b
        and (text is None or b["text"] == text)
        and (callback_data is None or b["callback_data"] == callback_data)
    ]
    if text is None and callback_data is None or not matches:
        shown = [(b.get("text"), b.get("callback_data")) for b in buttons]
        raise ControlError(f"message {message_id} has no such callback button; it shows {shown}")
    data = str(matches[0]["callback_data"])
    query = CallbackQuery(state.new_query_id(), user.id, chat_id, message_id, data)
    state.callback_queries[query.id] = query
    payload = {
        "id": query.id,
        "from": user_json(user),
        "message": message_json(state, message),
        "chat_instance": str(abs(chat_id) * 7919 % 10**18),
        "data": data,
    }
    update = state.updates.push("callback_query", payload)
    state.touch()
    return {"update": update, "callback_query_id": query.id}


def inline_query(state: State, user_id: int, query: str, offset: str = "", chat_type: str | None = "sender") -> dict[str, Any]:
    user = state.user(user_id)
    record = InlineQuery(state.new_query_id(), user.id, query)
    state.inline_queries[record.id] = record
    payload: dict[str, Any] = {"id": record.id, "from": user_json(user), "query": query, "offset": offset}
    if chat_type:
        payload["chat_type"] = chat_type
    update = state.updates.push("inline_query", payload)
    state.touch()
    return {"update": update, "inline_query_id": record.id}


def redeliver(state: State, update_id: int) -> dict[str, Any]:
    update = state.updates.redeliver(update_id)
    if update is None:
        raise ControlError(f"no update {update_id}", 404)
    return {"update": update}


def _utf16(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
