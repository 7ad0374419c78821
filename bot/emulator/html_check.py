"""Telegram's HTML parse mode: validate the markup and turn it into plain text plus entities.

Follows TDLib's parser (same error wording, byte offsets into the UTF-8 text) with one deliberate
difference: a bare "&" that starts no valid entity is refused. Telegram documents that every
"<", ">" and "&" outside markup must be escaped but tolerates a lone "&"; being strict here
catches user text that reached a message unescaped before a real user finds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import ApiError, bad_request

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def utf16_len(text: str) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in the output text
    byte_offset: int


@dataclass
class _Parser:
    text: str
    pos: int = 0
    out: list[str] = field(default_factory=list)
    out_u16: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8"))

    def at(self, index: int) -> str:
        return self.text[index] if index < len(self.text) else ""

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.out_u16 += utf16_len(chunk)

    def decode_entity(self, index: int) -> tuple[str, int] | None:
        """(character, index after the entity) for "&…;" at index, or None if it is no entity."""
        end = index + 1
        if self.at(end) == "#":
            end += 1
            hexa = self.at(end) in ("x", "X")
            if hexa:
                end += 1
            start = end
            digits = "0123456789abcdefABCDEF" if hexa else "0123456789"
            while self.at(end) and self.at(end) in digits:
                end += 1
            if end == start:
                return None
            code = int(self.text[start:end], 16 if hexa else 10)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                return None
            char = chr(code)
        else:
            start = end
            while self.at(end).isascii() and self.at(end).isalpha():
                end += 1
            if self.text[start:end] not in _NAMED:
                return None
            char = _NAMED[self.text[start:end]]
        if self.at(end) == ";":
            end += 1
        return char, end

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "&":
                decoded = self.decode_entity(self.pos)
                if decoded is None:
                    raise _error(f"Character '&' at byte offset {self.byte_offset(self.pos)} must be escaped as \"&amp;\"")
                self.emit(decoded[0])
                self.pos = decoded[1]
            elif ch == "<":
                if self.at(self.pos + 1) == "/":
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                self.emit(ch)
                self.pos += 1
        if self.stack:
            raise _error(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def start_tag(self) -> None:
        begin = self.pos
        i = begin + 1
        while self.at(i) and not self.at(i).isspace() and self.at(i) != ">":
            i += 1
        if not self.at(i):
            raise _error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = self.text[begin + 1 : i].lower()
        if tag not in _ENTITY_TYPES:
            raise _error(f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}')
        attrs: dict[str, str] = {}
        while True:
            while self.at(i).isspace():
                i += 1
            if not self.at(i):
                raise _error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if self.at(i) == ">":
                break
            i = self.attribute(tag, i, begin, attrs)
        self.pos = i + 1
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise _error(f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}')
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _error(f"Expected custom emoji identifier at byte offset {self.byte_offset(begin)}")
        self.stack.append(_Open(tag, attrs, self.out_u16, self.byte_offset(begin)))

    def attribute(self, tag: str, i: int, begin: int, attrs: dict[str, str]) -> int:
        name_start = i
        while self.at(i) and not self.at(i).isspace() and self.at(i) not in "=>":
            i += 1
        name = self.text[name_start:i].lower()
        if not name:
            raise _error(f'Empty attribute name in the tag "{tag}" at byte offset {self.byte_offset(begin)}')
        while self.at(i).isspace():
            i += 1
        if self.at(i) != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                return i
            raise _error(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        i += 1
        while self.at(i).isspace():
            i += 1
        quote = self.at(i)
        if not quote:
            raise _error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        value: list[str] = []
        if quote in "\"'":
            i += 1
            while self.at(i) and self.at(i) != quote:
                decoded = self.decode_entity(i) if self.at(i) == "&" else None
                if decoded:
                    value.append(decoded[0])
                    i = decoded[1]
                else:
                    value.append(self.at(i))
                    i += 1
            if not self.at(i):
                raise _error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            i += 1
        else:
            while self.at(i) and (self.at(i).isalnum() or self.at(i) in ".-_"):
                value.append(self.at(i))
                i += 1
            if not value:
                raise _error(f"Expected quote at byte offset {self.byte_offset(i)}")
        attrs[name] = "".join(value)
        return i

    def end_tag(self) -> None:
        begin = self.pos
        if not self.stack:
            raise _error(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        i = begin + 2
        while self.at(i) and not self.at(i).isspace() and self.at(i) != ">":
            i += 1
        name = self.text[begin + 2 : i].lower()
        while self.at(i).isspace():
            i += 1
        if self.at(i) != ">":
            raise _error(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        opened = self.stack[-1]
        if name != opened.tag:
            raise _error(
                f'Unmatched end tag at byte offset {self.byte_offset(begin)}, expected "</{opened.tag}>", found "</{name}>"'
            )
        self.pos = i + 1
        self.stack.pop()
        self.close(opened)

    def close(self, opened: _Open) -> None:
        length = self.out_u16 - opened.start
        if length <= 0:
            return
        kind = _ENTITY_TYPES[opened.tag]
        entity: dict[str, Any] = {"type": kind, "offset": opened.start, "length": length}
        if kind == "text_link":
            href = opened.attrs.get("href")
            if not href:
                return
            entity["url"] = href
        elif kind == "custom_emoji":
            entity["custom_emoji_id"] = opened.attrs["emoji-id"]
        elif kind == "blockquote" and "expandable" in opened.attrs:
            entity["type"] = "expandable_blockquote"
        elif kind == "code" and self.stack and self.stack[-1].tag == "pre":
            # <pre><code class="language-x"> is one pre entity with a language, not two
            language = opened.attrs.get("class", "").removeprefix("language-")
            if language:
                self.stack[-1].attrs["language"] = language
            return
        elif kind == "pre" and opened.attrs.get("language"):
            entity["language"] = opened.attrs["language"]
        self.entities.append(entity)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and its entities (UTF-16 offsets), or ApiError "can't parse entities: …"."""
    return _Parser(text).run()
