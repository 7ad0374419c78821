"""A chat message as the terminal shows it: Telegram's formatting as simple markers, the inline
keyboard as numbered choices (#1, #2, …) that the sandbox can press."""

from __future__ import annotations

import unicodedata
from typing import Any

from bot.emulator import Button, ChatMessage
from bot.i18n import t

# Markers a reader recognises in plain text; the other entity kinds carry no meaning worth a mark.
_MARKS = {"bold": "*", "italic": "_", "code": "`", "strikethrough": "~"}
FIRST = "  🤖 "
MORE = "     "


def plain(text: str, entities: list[dict[str, Any]]) -> str:
    """The text with bold as *…*, italic as _…_, code as `…`, links followed by their address."""
    # Entity offsets count UTF-16 code units: characters outside the BMP (most emoji) count twice.
    index: dict[int, int] = {}
    units = 0
    for i, ch in enumerate(text):
        index[units] = i
        units += 2 if ord(ch) > 0xFFFF else 1
    index[units] = len(text)
    inserts: list[tuple[int, int, str]] = []  # (position, 0 closes before 1 opens, marker)
    for entity in entities:
        start, end = index.get(entity["offset"]), index.get(entity["offset"] + entity["length"])
        if start is None or end is None:
            continue
        kind = entity["type"]
        if kind == "text_link":
            inserts.append((end, 0, f" ({entity.get('url', '')})"))
        elif kind in _MARKS:
            inserts += [(start, 1, _MARKS[kind]), (end, 0, _MARKS[kind])]
    out, last = [], 0
    for position, _, marker in sorted(inserts, key=lambda i: (i[0], i[1])):
        out += [text[last:position], marker]
        last = position
    out.append(text[last:])
    return "".join(out)


def choices(buttons: list[Button]) -> list[str]:
    """One line per keyboard row, every button numbered in reading order."""
    rows: dict[int, list[str]] = {}
    for n, button in enumerate(buttons, 1):
        arrow = " ↗" if button.url else ""
        rows.setdefault(button.row, []).append(f"[#{n} {button.text}{arrow}]")
    return [" ".join(row) for _, row in sorted(rows.items())]


def message_lines(message: ChatMessage, lang: str, *, edited: bool = False) -> list[str]:
    body: list[str] = []
    if message.deleted:
        body.append(t(lang, "sandbox.deleted"))
    else:
        if message.photo:
            body.append(t(lang, "sandbox.photo"))
        if message.document:
            body.append(t(lang, "sandbox.document", name=message.document.get("file_name") or "file"))
        # The transcript keeps only the text's entities; a caption is shown as it is.
        content = plain(message.text, message.entities) if message.text is not None else message.caption or ""
        body += content.splitlines() or ([""] if not body else [])
        body += choices(message.buttons)
    if edited and not message.deleted:
        body[0] = f"{t(lang, 'sandbox.edited')} {body[0]}"
    return [(FIRST if i == 0 else MORE) + line for i, line in enumerate(body)]


def pad(text: str, width: int) -> str:
    """Left-aligned to `width` terminal columns; Chinese characters take two."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)
