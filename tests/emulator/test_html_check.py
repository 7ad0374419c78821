"""The HTML checker alone: what it turns into text and entities, with Telegram's offsets."""

from __future__ import annotations

import pytest

from bot.emulator.errors import ApiError
from bot.emulator.html_check import parse_html


def test_entities_use_utf16_offsets() -> None:
    text, entities = parse_html("😀 <b>采销</b> <a href='https://x.test/a?b=1&amp;c=2'>link</a>")
    assert text == "😀 采销 link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "text_link", "offset": 6, "length": 4, "url": "https://x.test/a?b=1&c=2"},
    ]


def test_pre_with_language_is_one_entity() -> None:
    text, entities = parse_html('<pre><code class="language-sql">SELECT 1</code></pre>')
    assert text == "SELECT 1"
    assert entities == [{"type": "pre", "offset": 0, "length": 8, "language": "sql"}]


def test_tags_are_case_insensitive_and_nest() -> None:
    text, entities = parse_html("<B>a<I>b</I></B>")
    assert text == "ab"
    assert [e["type"] for e in entities] == ["bold", "italic"]


@pytest.mark.parametrize(
    "html",
    ["<b>", "<b>x</i>", "<p>x</p>", "a < b", "AT&T", "&nosuch;", "<a href=>x</a>", "<b", "</b", "<tg-emoji>x</tg-emoji>"],
)
def test_refused(html: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(html)
    assert caught.value.code == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")


def test_byte_offsets_count_utf8_bytes() -> None:
    with pytest.raises(ApiError, match="at byte offset 6"):
        parse_html("采销<x>")
