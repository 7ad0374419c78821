"""State records rendered as Bot API JSON objects (what the bot sees) and as transcript entries."""

from __future__ import annotations

from typing import Any

from bot.emulator.state import Chat, Edit, Message, State, User


def user_json(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user.id, "is_bot": user.is_bot, "first_name": user.first_name}
    for key in ("last_name", "username", "language_code"):
        if getattr(user, key):
            data[key] = getattr(user, key)
    return data


def me_json(state: State) -> dict[str, Any]:
    return user_json(state.bot) | {
        "can_join_groups": True,
        "can_read_all_group_messages": True,
        "supports_inline_queries": True,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def chat_json(state: State, chat: Chat) -> dict[str, Any]:
    if chat.type == "private":
        user = state.users[chat.id]
        data: dict[str, Any] = {"id": chat.id, "type": "private", "first_name": user.first_name}
        if user.last_name:
            data["last_name"] = user.last_name
        if user.username:
            data["username"] = user.username
        return data
    data = {"id": chat.id, "type": chat.type, "title": chat.title or ""}
    if chat.username:
        data["username"] = chat.username
    if chat.is_forum:
        data["is_forum"] = True
    return data


def message_json(state: State, message: Message, with_reply: bool = True) -> dict[str, Any]:
    sender = state.bot if message.from_bot else state.users[message.from_id]
    data: dict[str, Any] = {
        "message_id": message.message_id,
        "from": user_json(sender),
        "chat": chat_json(state, state.chats[message.chat_id]),
        "date": message.date,
    }
    if message.thread_id is not None:
        data["message_thread_id"] = message.thread_id
        data["is_topic_message"] = True
    if message.text is not None:
        data["text"] = message.text
        if message.entities:
            data["entities"] = message.entities
    if message.caption is not None:
        data["caption"] = message.caption
        if message.caption_entities:
            data["caption_entities"] = message.caption_entities
    if message.document is not None:
        data["document"] = message.document
    if message.photo is not None:
        data["photo"] = message.photo
    if message.service:
        data.update(message.service)
    if message.forward_origin is not None:
        data["forward_origin"] = message.forward_origin
    if message.edit_date is not None:
        data["edit_date"] = message.edit_date
    # Telegram only ever returns inline keyboards in Message.reply_markup
    if message.reply_markup and "inline_keyboard" in message.reply_markup:
        data["reply_markup"] = message.reply_markup
    if with_reply and message.reply_to_message_id is not None:
        replied = state.message(message.chat_id, message.reply_to_message_id)
        if replied is not None and not replied.deleted:
            data["reply_to_message"] = message_json(state, replied, with_reply=False)
    return data


def _edit_json(edit: Edit) -> dict[str, Any]:
    return {"text": edit.text, "caption": edit.caption, "reply_markup": edit.reply_markup, "replaced_at": edit.replaced_at}


def transcript_json(state: State, message: Message) -> dict[str, Any]:
    sender = state.bot if message.from_bot else state.users[message.from_id]
    return {
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "thread_id": message.thread_id,
        "from_id": message.from_id,
        "from_bot": message.from_bot,
        "sender": sender.display_name,
        "text": message.text,
        "entities": message.entities,
        "caption": message.caption,
        "parse_mode": message.parse_mode,
        "reply_markup": message.reply_markup,
        "reply_to_message_id": message.reply_to_message_id,
        "document": message.document,
        "photo": message.photo,
        "service": message.service,
        "edits": [_edit_json(e) for e in message.edits],
        "edited": bool(message.edits),
        "deleted": message.deleted,
        "date": message.date,
        "sent_at": message.sent_at,
    }
