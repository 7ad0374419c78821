"""Bot API methods that create, change or remove messages."""

from __future__ import annotations

import mimetypes
import time
from typing import Any

from bot.emulator.errors import ApiError, bad_request, forbidden
from bot.emulator.images import image_size
from bot.emulator.markup import checked_caption, checked_markup, checked_text
from bot.emulator.params import Params, Upload
from bot.emulator.state import Chat, Edit, Message, State, StoredFile
from bot.emulator.wire import message_json

MAX_UPLOAD = 50 * 1024 * 1024
MAX_PHOTO = 10 * 1024 * 1024
CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}


def find_chat(state: State, p: Params) -> Chat:
    ref = p.chat_id()
    if ref is None:
        raise bad_request("chat_id is empty")
    if isinstance(ref, str):
        name = ref.removeprefix("@").lower()
        found = [c for c in state.chats.values() if c.is_group and (c.username or "").lower() == name]
        if not found:
            raise bad_request("chat not found")
        return found[0]
    chat = state.chats.get(ref)
    if chat is None and ref in state.users:
        chat = state.private_chat(state.users[ref])
    if chat is None:
        raise bad_request("chat not found")
    return chat


def writable_chat(state: State, p: Params) -> Chat:
    """The target chat, with the 403s Telegram gives when the bot may not write there."""
    chat = find_chat(state, p)
    if chat.type == "private":
        user = state.users[chat.id]
        if user.blocked_bot:
            raise forbidden("bot was blocked by the user")
        if not user.started:
            raise forbidden("bot can't initiate conversation with a user")
    elif not chat.bot_is_member:
        kind = "group" if chat.type == "group" else "supergroup"
        raise forbidden(f"bot was kicked from the {kind} chat")
    return chat


def _thread(state: State, chat: Chat, p: Params) -> int | None:
    thread_id = p.int_("message_thread_id")
    if thread_id is None or not chat.is_forum:
        return None
    if thread_id == 1:  # the General topic: its messages carry no thread id
        return None
    if thread_id not in chat.topics:
        raise bad_request("message thread not found")
    return thread_id


def _reply_to(state: State, chat: Chat, p: Params) -> tuple[int | None, int | None]:
    """(replied message id, its thread id)."""
    reply = p.json_("reply_parameters", "can't parse reply parameters JSON object")
    message_id = p.int_("reply_to_message_id")
    allow_missing = p.bool_("allow_sending_without_reply")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_missing = bool(reply.get("allow_sending_without_reply"))
        if reply.get("chat_id") not in (None, chat.id):
            raise bad_request("replying to messages in other chats is not supported by the emulator")
    if message_id is None:
        return None, None
    replied = state.message(chat.id, int(message_id))
    if replied is None or replied.deleted:
        if allow_missing:
            return None, None
        raise bad_request("message to be replied not found")
    return replied.message_id, replied.thread_id


def _new_bot_message(state: State, chat: Chat, p: Params, **content: Any) -> Message:
    thread_id = _thread(state, chat, p)
    reply_to, reply_thread = _reply_to(state, chat, p)
    markup = checked_markup(p.json_("reply_markup", "can't parse reply keyboard markup JSON object"))
    state.flood.admit(chat.id, chat.is_group)
    now = time.time()
    message = Message(
        chat_id=chat.id,
        message_id=state.next_message_id(chat),
        from_id=state.bot.id,
        from_bot=True,
        date=int(now),
        sent_at=now,
        thread_id=thread_id if thread_id is not None else reply_thread,
        parse_mode=p.str_("parse_mode"),
        reply_markup=markup,
        reply_to_message_id=reply_to,
        **content,
    )
    return state.add_message(message)


def send_message(state: State, p: Params) -> dict[str, Any]:
    chat = writable_chat(state, p)
    text, entities = checked_text(p.str_("text"), p.str_("parse_mode"), p.json_("entities"))
    return message_json(state, _new_bot_message(state, chat, p, text=text, entities=entities))


def _upload(state: State, p: Params, field: str, limit: int, folder: str) -> StoredFile:
    given = p.upload(field)
    if given is None or given == "":
        raise bad_request(f"there is no {field} in the request")
    if isinstance(given, str):
        if given in state.files:
            return state.files[given]
        raise bad_request("wrong file identifier/HTTP URL specified")
    if len(given.content) > limit:
        raise ApiError(413, "Request Entity Too Large")
    if not given.content:
        raise bad_request("file must be non-empty")
    return state.store_file(given.content, given.filename, _mime(given), folder)


def _mime(upload: Upload) -> str:
    guessed, _ = mimetypes.guess_type(upload.filename)
    if guessed:
        return guessed
    if upload.content_type and upload.content_type != "application/octet-stream":
        return upload.content_type
    return "application/octet-stream"


def send_document(state: State, p: Params) -> dict[str, Any]:
    chat = writable_chat(state, p)
    caption, entities = checked_caption(p.str_("caption"), p.str_("parse_mode"), p.json_("caption_entities"))
    stored = _upload(state, p, "document", MAX_UPLOAD, "documents")
    document = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "file_size": len(stored.content),
    }
    message = _new_bot_message(state, chat, p, document=document, caption=caption, caption_entities=entities)
    return message_json(state, message)


def send_photo(state: State, p: Params) -> dict[str, Any]:
    chat = writable_chat(state, p)
    caption, entities = checked_caption(p.str_("caption"), p.str_("parse_mode"), p.json_("caption_entities"))
    stored = _upload(state, p, "photo", MAX_PHOTO, "photos")
    size = image_size(stored.content)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    photo = [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": size[0],
            "height": size[1],
            "file_size": len(stored.content),
        }
    ]
    message = _new_bot_message(state, chat, p, photo=photo, caption=caption, caption_entities=entities)
    return message_json(state, message)


def _editable(state: State, p: Params) -> Message:
    if p.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = writable_chat(state, p)
    message_id = p.int_("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    message = state.message(chat.id, message_id)
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _edit_markup(p: Params) -> dict[str, Any] | None:
    markup = checked_markup(p.json_("reply_markup", "can't parse reply keyboard markup JSON object"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def _apply_edit(state: State, message: Message, **changes: Any) -> dict[str, Any]:
    if all(getattr(message, key) == value for key, value in changes.items()):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same "
            "as a current content and reply markup of the message"
        )
    message.edits.append(Edit(message.text, message.caption, message.reply_markup, time.time()))
    for key, value in changes.items():
        setattr(message, key, value)
    message.edit_date = int(time.time())
    state.touch()
    return message_json(state, message)


def edit_message_text(state: State, p: Params) -> dict[str, Any]:
    message = _editable(state, p)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = checked_text(p.str_("text"), p.str_("parse_mode"), p.json_("entities"))
    # Like Telegram: an edit without reply_markup takes the inline keyboard away.
    markup = _edit_markup(p)
    result = _apply_edit(state, message, text=text, entities=entities, reply_markup=markup)
    message.parse_mode = p.str_("parse_mode")
    return result


def edit_message_caption(state: State, p: Params) -> dict[str, Any]:
    message = _editable(state, p)
    if message.text is not None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = checked_caption(p.str_("caption"), p.str_("parse_mode"), p.json_("caption_entities"))
    markup = _edit_markup(p)
    return _apply_edit(state, message, caption=caption, caption_entities=entities, reply_markup=markup)


def edit_message_reply_markup(state: State, p: Params) -> dict[str, Any]:
    message = _editable(state, p)
    return _apply_edit(state, message, reply_markup=_edit_markup(p))


def delete_message(state: State, p: Params) -> bool:
    chat = find_chat(state, p)
    message_id = p.int_("message_id")
    message = state.message(chat.id, message_id) if message_id is not None else None
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    if chat.is_group and not message.from_bot:
        raise bad_request("message can't be deleted")
    message.deleted = True
    state.touch()
    return True


def send_chat_action(state: State, p: Params) -> bool:
    chat = writable_chat(state, p)
    action = p.str_("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    thread_id = _thread(state, chat, p)
    state.chat_actions.append({"chat_id": chat.id, "action": action, "thread_id": thread_id, "at": time.time()})
    state.touch()
    return True
