"""sendMessage and friends through a real aiogram Bot: accepted like Telegram, refused like Telegram."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)

from bot.emulator import Emulator, EmulatorClient
from tests.emulator.conftest import make_bot


def keyboard(*buttons: tuple[str, str], style: str | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d, style=style) for t, d in buttons]]
    )


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "caixiao_bot" and me.id == bot.id


async def test_sent_message_is_in_the_transcript(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann", username="ann", language_code="zh")
    sent = await bot.send_message(ann["id"], "<b>PO-1</b> &lt;draft&gt;", parse_mode="HTML", reply_markup=keyboard(("OK", "ok")))
    assert sent.text == "PO-1 <draft>"
    assert sent.entities is not None and sent.entities[0].type == "bold" and sent.entities[0].length == 4
    [line] = await client.transcript(ann["id"])
    assert (line.message_id, line.from_bot, line.text, line.parse_mode) == (sent.message_id, True, "PO-1 <draft>", "HTML")
    assert line.button_texts == ["OK"] and line.buttons[0].callback_data == "ok"
    assert await client.errors() == []


HTML_ERRORS = [
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
    ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
    ("R&D", "Character '&' at byte offset 1 must be escaped"),
    ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ("</b>", "Unexpected end tag at byte offset 0"),
]


async def test_html_errors_are_telegrams(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    for html, wording in HTML_ERRORS:
        with pytest.raises(TelegramBadRequest) as caught:
            await bot.send_message(ann["id"], html, parse_mode="HTML")
        assert caught.value.message.startswith("Bad Request: can't parse entities: ")
        assert wording in caught.value.message
    errors = await client.errors()
    assert [e.code for e in errors] == [400] * len(HTML_ERRORS)
    assert errors[0].method == "sendMessage" and errors[0].params["text"] == "<b>bold"


async def test_allowed_html_passes(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>"
        '<span class="tg-spoiler">p</span><tg-spoiler>q</tg-spoiler><a href="https://x.test/?a=1&amp;b=2">a</a>'
        '<code>c</code><pre><code class="language-python">x = 1</code></pre><blockquote expandable>q</blockquote>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> 5 &gt; 4 &#169; &#x4E2D;'
    )
    sent = await bot.send_message(ann["id"], html, parse_mode="HTML")
    assert sent.text is not None and sent.text.endswith("5 > 4 © 中")
    kinds = {e.type for e in sent.entities or []}
    assert {"bold", "italic", "underline", "strikethrough", "spoiler", "text_link", "code", "pre"} <= kinds
    assert {"expandable_blockquote", "custom_emoji"} <= kinds


async def test_text_length_counts_after_entities(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    await bot.send_message(ann["id"], "x" * 4096)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(ann["id"], "x" * 4097)
    # 4096 characters once "&amp;" is decoded and the tags are gone, though far longer as sent
    await bot.send_message(ann["id"], "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(ann["id"], "<b>" + "&amp;" * 4097 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message text is empty"):
        await bot.send_message(ann["id"], "<b> </b>", parse_mode="HTML")


async def test_callback_data_is_limited_to_64_bytes(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    await bot.send_message(ann["id"], "ok", reply_markup=keyboard(("a", "x" * 64)))
    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
        await bot.send_message(ann["id"], "too long", reply_markup=keyboard(("a", "x" * 65)))
    # bytes, not characters: 22 CJK characters are 66 bytes in UTF-8
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(ann["id"], "too long", reply_markup=keyboard(("a", "采" * 22)))


async def test_button_style_is_stored(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    sent = await bot.send_message(ann["id"], "decide", reply_markup=keyboard(("Reject", "r"), style="danger"))
    [line] = await client.transcript(ann["id"])
    assert line.buttons[0].style == "danger"
    assert sent.reply_markup is not None and sent.reply_markup.inline_keyboard[0][0].style == "danger"
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(ann["id"], "x", reply_markup=keyboard(("Odd", "o"), style="purple"))


async def test_edits_and_not_modified(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    chat = ann["id"]
    sent = await bot.send_message(chat, "PO-1 pending", reply_markup=keyboard(("Approve", "a")))
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message content and reply markup"):
        await bot.edit_message_text(
            "PO-1 pending", chat_id=chat, message_id=sent.message_id, reply_markup=keyboard(("Approve", "a"))
        )
    await bot.edit_message_text("PO-1 approved", chat_id=chat, message_id=sent.message_id)
    [line] = await client.transcript(chat)
    # an edit without reply_markup takes the keyboard away, as in Telegram
    assert line.text == "PO-1 approved" and line.reply_markup is None and line.edited
    assert line.edits[0]["text"] == "PO-1 pending" and line.edits[0]["reply_markup"] is not None
    await bot.edit_message_reply_markup(chat_id=chat, message_id=sent.message_id, reply_markup=keyboard(("Undo", "u")))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=chat, message_id=sent.message_id, reply_markup=keyboard(("Undo", "u")))
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to edit not found"):
        await bot.edit_message_text("x", chat_id=chat, message_id=999)
    assert await bot.delete_message(chat, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message to delete not found"):
        await bot.delete_message(chat, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("gone", chat_id=chat, message_id=sent.message_id)
    assert (await client.transcript(chat))[0].deleted


async def test_blocked_user_and_unknown_chat(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    await client.block(ann["id"])
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(ann["id"], "hello")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(424242, "hello")
    stranger = await client.create_user("Bo", started=False)
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation with a user"):
        await bot.send_message(stranger["id"], "hello")
    group = await client.create_group("Warehouse", members=[ann["id"]])
    await client.set_bot_member(group.id, False)
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the group chat"):
        await bot.send_message(group.id, "hello")


async def test_wrong_token_and_unknown_method(emu: Emulator, client: EmulatorClient) -> None:
    intruder = make_bot(emu, token="999:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await intruder.get_me()
    finally:
        await intruder.session.close()
    with pytest.raises(TelegramNotFound, match="Not Found"):
        await emu_bot_call_unknown(emu)
    async with aiohttp.ClientSession() as http, http.post(f"{emu.base_url}/bot{emu.token}/sendTelepathy") as resp:
        assert resp.status == 404
        assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with aiohttp.ClientSession() as http:
        # JSON and url-encoded bodies are understood too
        async with http.post(f"{emu.base_url}/bot{emu.token}/getMe", json={}) as resp:
            assert (await resp.json())["ok"] is True
        async with http.get(f"{emu.base_url}/bot{emu.token}/sendMessage", params={"chat_id": "1", "text": "x"}) as resp:
            assert resp.status == 400
    codes = [(e.method, e.code) for e in await client.errors()]
    assert codes == [("getMe", 401), ("sendTelepathy", 404), ("sendTelepathy", 404), ("sendMessage", 400)]


class Telepathy(TelegramMethod[bool]):
    __returning__ = bool
    __api_method__ = "sendTelepathy"


async def emu_bot_call_unknown(emu: Emulator) -> bool:
    tg = make_bot(emu)
    try:
        return await tg(Telepathy())
    finally:
        await tg.session.close()


async def test_replies_force_reply_and_topics(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    group = await client.create_group("Ops", members=[ann["id"]], forum=True, topics=["Alerts", "Buying"])
    alerts = group.topics["Alerts"]
    sent = await bot.send_message(group.id, "low stock", message_thread_id=alerts)
    assert sent.message_thread_id == alerts and sent.is_topic_message
    with pytest.raises(TelegramBadRequest, match="Bad Request: message thread not found"):
        await bot.send_message(group.id, "x", message_thread_id=9999)
    ask = await bot.send_message(
        group.id,
        "How many?",
        reply_markup=ForceReply(input_field_placeholder="qty"),
        reply_parameters=ReplyParameters(message_id=sent.message_id),
    )
    assert ask.reply_to_message is not None and ask.reply_to_message.message_id == sent.message_id
    assert ask.message_thread_id == alerts  # a reply stays in its topic
    answer = await client.reply(ann["id"], group.id, ask.message_id, "12")
    assert answer.message is not None and answer.message.thread_id == alerts
    assert answer.update is not None and answer.update["message"]["reply_to_message"]["message_id"] == ask.message_id
    in_topic = await client.transcript(group.id, thread_id=alerts)
    assert [m.content for m in in_topic] == ["", "low stock", "How many?", "12"]
    assert in_topic[0].service == {"forum_topic_created": {"name": "Alerts", "icon_color": 7322096}}
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(group.id, "x", reply_to_message_id=777)


async def test_commands_actions_and_errors_list(bot: Bot, client: EmulatorClient) -> None:
    from aiogram.types import BotCommand, BotCommandScopeAllGroupChats

    await bot.set_my_commands([BotCommand(command="stock", description="Stock")], language_code="en")
    await bot.set_my_commands(
        [BotCommand(command="stock", description="库存")], scope=BotCommandScopeAllGroupChats(), language_code="zh"
    )
    assert [c.description for c in await bot.get_my_commands(language_code="en")] == ["Stock"]
    assert [c.description for c in await bot.get_my_commands(scope=BotCommandScopeAllGroupChats(), language_code="zh")] == [
        "库存"
    ]
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    ann = await client.create_user("Ann")
    await bot.send_chat_action(ann["id"], "typing")
    assert [a["action"] for a in await client.chat_actions(ann["id"])] == ["typing"]
    [error] = await client.errors()
    assert (error.method, error.code, error.description) == ("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
    await client.clear_errors()
    assert await client.errors() == []
