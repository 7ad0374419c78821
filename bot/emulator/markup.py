"""Checks on what a bot may put in a message: formatted text, captions, reply markup."""

from __future__ import annotations

from typing import Any

from bot.emulator.errors import bad_request
from bot.emulator.html_check import parse_html

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
BUTTON_STYLES = {"danger", "success", "primary"}
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def format_text(raw: str | None, parse_mode: str | None, entities: Any) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities; "" when there is nothing left to show."""
    if not raw:
        return "", []
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(raw)
    if mode:
        raise bad_request(f"unsupported parse_mode {parse_mode!r} (the emulator speaks HTML only)")
    return raw, list(entities) if isinstance(entities, list) else []


def checked_text(raw: str | None, parse_mode: str | None, entities: Any) -> tuple[str, list[dict[str, Any]]]:
    text, found = format_text(raw, parse_mode, entities)
    if not text.strip():
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, found


def checked_caption(raw: str | None, parse_mode: str | None, entities: Any) -> tuple[str | None, list[dict[str, Any]]]:
    text, found = format_text(raw, parse_mode, entities)
    if not text.strip():
        return None, []
    if len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return text, found


def checked_markup(raw: Any) -> dict[str, Any] | None:
    """The reply markup as stored (None for none); Telegram's errors for what it would refuse."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = _rows(raw["inline_keyboard"])
        checked = [[_inline_button(b) for b in row] for row in rows]
        checked = [row for row in checked if row]
        return {"inline_keyboard": checked} if checked else None
    if "keyboard" in raw:
        rows = _rows(raw["keyboard"])
        keyboard = [[_reply_button(b) for b in row] for row in rows]
        return {**raw, "keyboard": keyboard}
    if raw.get("remove_keyboard") is True:
        return {"remove_keyboard": True}
    if raw.get("force_reply") is True:
        placeholder = raw.get("input_field_placeholder")
        if isinstance(placeholder, str) and len(placeholder) > 64:
            raise bad_request("input field placeholder is too long")
        return dict(raw)
    raise bad_request("can't parse reply keyboard markup JSON object")


def _rows(raw: Any) -> list[list[Any]]:
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if len(raw) > 100 or sum(len(row) for row in raw) > 100:
        raise bad_request("reply markup is too long")
    return raw


def _inline_button(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
    if not raw["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [key for key in _BUTTON_ACTIONS if raw.get(key) is not None]
    if not actions:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if "callback_data" in actions:
        data = raw["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions:
        url = raw["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")) or " " in url:
            raise bad_request("BUTTON_URL_INVALID")
    style = raw.get("style")
    if style is not None and style not in BUTTON_STYLES:
        raise bad_request("BUTTON_STYLE_INVALID")
    return dict(raw)


def _reply_button(raw: Any) -> dict[str, Any]:
    button = {"text": raw} if isinstance(raw, str) else raw
    if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
        raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
    return dict(button)
