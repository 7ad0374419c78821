"""getUpdates as Telegram runs it: long polling, offsets, allowed_updates, conflicts, redelivery."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.emulator import ControlError, EmulatorClient


async def _poller_waiting(client: EmulatorClient) -> bool | None:
    return True if (await client.status())["pollers_waiting"] else None


async def test_long_poll_returns_when_a_message_arrives(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await client.wait_until(lambda: _poller_waiting(client), what="a waiting getUpdates")
    injected = await client.send_text(ann["id"], "/stock A-1")
    [update] = await asyncio.wait_for(poll, 5)
    assert time.monotonic() - started < 3
    assert update.update_id == injected.update_id
    assert update.message is not None and update.message.text == "/stock A-1"
    assert update.message.entities is not None and update.message.entities[0].type == "bot_command"
    assert update.message.from_user is not None and update.message.from_user.language_code == "en"


async def test_offset_confirms_earlier_updates(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    first = await client.send_text(ann["id"], "one")
    second = await client.send_text(ann["id"], "two")
    assert [u.update_id for u in await bot.get_updates()] == [first.update_id, second.update_id]
    assert [u.update_id for u in await bot.get_updates()] == [first.update_id, second.update_id]  # not confirmed yet
    assert second.update_id is not None
    assert await bot.get_updates(offset=second.update_id + 1) == []
    third = await client.send_text(ann["id"], "three")
    assert [u.update_id for u in await bot.get_updates(offset=second.update_id + 1, limit=1)] == [third.update_id]
    # a redelivered update keeps its id, though the offset has moved past it
    assert third.update_id is not None
    await bot.get_updates(offset=third.update_id + 1)
    await client.redeliver(first.update_id or 0)
    [again] = await bot.get_updates(offset=third.update_id + 1)
    assert again.update_id == first.update_id and again.message is not None and again.message.text == "one"
    with pytest.raises(ControlError):
        await client.redeliver(1)


async def test_allowed_updates_filter_new_updates(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    sent = await bot.send_message(
        ann["id"],
        "pick",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]]),
    )
    assert await bot.get_updates(allowed_updates=["message"]) == []
    pressed = await client.press(ann["id"], ann["id"], sent.message_id, text="A")
    assert pressed.update is None  # dropped at creation, as Telegram does
    await client.send_text(ann["id"], "hi")
    assert [u.message is not None for u in await bot.get_updates()] == [True]


async def test_a_second_poller_conflicts(bot: Bot, client: EmulatorClient) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await client.wait_until(lambda: _poller_waiting(client), what="a waiting getUpdates")
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 5)
    assert await second == []
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook"
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == []
    assert [e.code for e in await client.errors()] == [409, 409]


async def test_buttons_only_as_shown(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    bo = await client.create_user("Bo")
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Approve", callback_data="po:1:ok")]])
    sent = await bot.send_message(ann["id"], "PO-1", reply_markup=markup)
    with pytest.raises(ControlError, match="no such callback button"):
        await client.press(ann["id"], ann["id"], sent.message_id, text="Reject")
    with pytest.raises(ControlError):
        await client.press(bo["id"], ann["id"], sent.message_id, text="Approve")  # not Bo's chat
    pressed = await client.press(ann["id"], ann["id"], sent.message_id, callback_data="po:1:ok")
    assert pressed.update is not None and pressed.update["callback_query"]["data"] == "po:1:ok"
    assert pressed.query_id is not None
    await bot.answer_callback_query(pressed.query_id, text="Approved")
    answer = await client.wait_for_callback_answer(pressed.query_id)
    assert answer.text == "Approved" and answer.data == "po:1:ok"
    await bot.edit_message_reply_markup(chat_id=ann["id"], message_id=sent.message_id, reply_markup=None)
    with pytest.raises(ControlError, match="no such callback button"):
        await client.press(ann["id"], ann["id"], sent.message_id, text="Approve")


async def test_inline_query_answer_is_recorded(bot: Bot, client: EmulatorClient) -> None:
    from aiogram.types import InlineQueryResultArticle, InputTextMessageContent

    ann = await client.create_user("Ann")
    sent = await client.inline_query(ann["id"], "bolt")
    [update] = await bot.get_updates()
    assert update.inline_query is not None and update.inline_query.query == "bolt"
    result = InlineQueryResultArticle(id="A-1", title="Bolt", input_message_content=InputTextMessageContent(message_text="A-1"))
    await bot.answer_inline_query(update.inline_query.id, [result], cache_time=0)
    [answer] = await client.inline_answers()
    assert answer.id == sent.query_id and answer.answer["results"][0]["id"] == "A-1"
