"""Bot API methods outside messages: identity, commands, callback and inline answers, files, chats."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.emulator.errors import bad_request
from bot.emulator.messaging import find_chat
from bot.emulator.params import Params
from bot.emulator.state import State
from bot.emulator.wire import chat_json, me_json, user_json

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}
MAX_DOWNLOAD = 20 * 1024 * 1024


def get_me(state: State, p: Params) -> dict[str, Any]:
    return me_json(state)


def set_my_commands(state: State, p: Params) -> bool:
    commands = p.json_("commands", "can't parse commands JSON object")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    checked: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not _COMMAND.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name, "description": description})
    state.commands[_key(state, p)] = checked
    state.touch()
    return True


def _key(state: State, p: Params) -> str:
    scope = p.json_("scope", "can't parse BotCommandScope JSON object") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    if "chat_id" in scope:
        find_chat(state, Params({"chat_id": scope["chat_id"]}))
    language = p.str_("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return json.dumps(scope, sort_keys=True) + "|" + language


def get_my_commands(state: State, p: Params) -> list[dict[str, str]]:
    return state.commands.get(_key(state, p), [])


def delete_my_commands(state: State, p: Params) -> bool:
    state.commands.pop(_key(state, p), None)
    state.touch()
    return True


def answer_callback_query(state: State, p: Params) -> bool:
    query = state.callback_queries.get(p.str_("callback_query_id") or "")
    if query is None or query.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.str_("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.answer = {
        "text": text,
        "show_alert": p.bool_("show_alert"),
        "url": p.str_("url"),
        "cache_time": p.int_("cache_time") or 0,
    }
    state.touch()
    return True


def answer_inline_query(state: State, p: Params) -> bool:
    query = state.inline_queries.get(p.str_("inline_query_id") or "")
    if query is None or query.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    results = p.json_("results", "can't parse inline query results JSON object")
    if not isinstance(results, list):
        raise bad_request("can't parse inline query results JSON object")
    if len(results) > 50:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        if not isinstance(result, dict) or "type" not in result:
            raise bad_request("can't parse InlineQueryResult JSON object")
        result_id = str(result.get("id", ""))
        if not 1 <= len(result_id.encode()) <= 64:
            raise bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
    query.answered = True
    query.answer = {
        "results": results,
        "cache_time": p.int_("cache_time"),
        "is_personal": p.bool_("is_personal"),
        "next_offset": p.str_("next_offset"),
        "button": p.json_("button"),
    }
    state.touch()
    return True


def get_file(state: State, p: Params) -> dict[str, Any]:
    stored = state.files.get(p.str_("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.content) > MAX_DOWNLOAD:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }


def get_chat(state: State, p: Params) -> dict[str, Any]:
    chat = find_chat(state, p)
    return chat_json(state, chat) | {"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": _NO_GIFTS}


_NO_GIFTS = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False, "premium_subscription": False}
_ADMIN_RIGHTS = dict.fromkeys(
    (
        "is_anonymous",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
        "can_send_welcome_messages",
    ),
    False,
) | dict.fromkeys(("can_be_edited", "can_manage_chat", "can_delete_messages", "can_change_info", "can_invite_users"), True)


def get_chat_member(state: State, p: Params) -> dict[str, Any]:
    chat = find_chat(state, p)
    user_id = p.int_("user_id")
    if user_id == state.bot.id:
        user = state.bot
        status = "member" if chat.bot_is_member else "left"
    elif user_id in state.users:
        user = state.users[user_id]
        if chat.type == "private":
            status = "member" if user_id == chat.id else "left"
        elif user_id in chat.admins:
            status = "administrator"
        else:
            status = "member" if user_id in chat.members else "left"
    else:
        raise bad_request("user not found")
    member: dict[str, Any] = {"status": status, "user": user_json(user)}
    if status == "administrator":
        member.update(_ADMIN_RIGHTS)
    return member


def ok_true(state: State, p: Params) -> bool:
    return True
