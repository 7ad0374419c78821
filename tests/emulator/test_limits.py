"""Flood limits, switched on per emulator: 429 with retry_after, recognised by aiogram."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from bot.emulator import EmulatorClient, FloodLimits


async def test_limits_are_off_by_default(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    for n in range(40):
        await bot.send_message(ann["id"], f"m{n}")
    assert await client.errors() == []


async def test_per_chat_limit_answers_429(bot: Bot, client: EmulatorClient) -> None:
    await client.set_limits(FloodLimits.telegram())
    ann = await client.create_user("Ann")
    bo = await client.create_user("Bo")
    await bot.send_message(ann["id"], "first")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(ann["id"], "second")
    assert caught.value.retry_after == 1
    assert "Too Many Requests: retry after 1" in caught.value.message
    await bot.send_message(bo["id"], "other chats are not held up")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(ann["id"], "too early")
    assert (await client.status())["early_retries"] == 1
    [first, second] = await client.errors()
    assert (first.code, first.retry_after, first.description) == (429, 1, "Too Many Requests: retry after 1")
    assert [m.text for m in await client.transcript(ann["id"])] == ["first"]


async def test_group_and_overall_limits(bot: Bot, client: EmulatorClient) -> None:
    await client.set_limits(FloodLimits(per_group_per_minute=2, overall_per_second=3))
    ann = await client.create_user("Ann")
    group = await client.create_group("Warehouse", members=[ann["id"]])
    await bot.send_message(group.id, "1")
    await bot.send_message(group.id, "2")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(group.id, "3")
    assert 58 <= caught.value.retry_after <= 60
    await bot.send_message(ann["id"], "third message this second")
    others = [await client.create_user(f"U{n}") for n in range(2)]
    with pytest.raises(TelegramRetryAfter) as overall:
        for user in others:
            await bot.send_message(user["id"], "hi")
    assert overall.value.retry_after == 1
