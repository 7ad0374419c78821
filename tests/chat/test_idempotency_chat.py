"""RELIABILITY T5: an update fed twice, a button double-tapped, a redelivery after a restart."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.i18n import t
from storage.tables import applied_commands, stock_moves
from tests.chat.harness import ChatHarness
from tests.chat.steps import approval_card, texts, unchanged
from tests.support import MANAGER, MANAGER2, WAREHOUSE, World, q, snapshot

BIG = 10_000_000  # update ids of these tests, far from the shared counter's


async def test_the_same_update_twice_applies_once(chat: ChatHarness, world: World) -> None:
    po = await world.approved_po((("A-1", 10, "1"),))
    first = await chat.say(WAREHOUSE, f"/receive {po} all", update_id=BIG + 1)
    assert "10/10" in first[0].text
    assert await chat.say(WAREHOUSE, f"/receive {po} all", update_id=BIG + 1) == []
    await chat.say(WAREHOUSE, "/adjust B-2 +5 found", update_id=BIG + 2)
    assert await chat.say(WAREHOUSE, "/adjust B-2 +5 found", update_id=BIG + 2) == []
    assert await world.balance("A-1") == (q(10), q(0))
    assert await world.balance("B-2") == (q(5), q(0))
    assert await world.count(stock_moves) == 2
    assert await world.drift() == []


async def test_receive_all_button_double_tapped(chat: ChatHarness, world: World) -> None:
    po = await world.approved_po((("A-1", 10, "1"),))
    [card] = await chat.say(WAREHOUSE, f"/po {po}")
    data = card.buttons()[0][1]
    await asyncio.gather(chat.press_data(WAREHOUSE, card, data), chat.press_data(WAREHOUSE, card, data))
    await chat.press_data(WAREHOUSE, card, data)  # a third, late tap on the old data
    assert await world.balance("A-1") == (q(10), q(0))
    assert await world.count(stock_moves) == 1
    assert (await world.po(po)).status.value == "received"
    assert card.buttons() == []


async def test_ship_all_double_tapped(chat: ChatHarness, world: World) -> None:
    await world.stock_in("A-1", 20)
    so = await world.confirmed_so((("A-1", 10),))
    [card] = await chat.say(WAREHOUSE, f"/so {so}")
    data = card.buttons()[0][1]
    await asyncio.gather(chat.press_data(WAREHOUSE, card, data), chat.press_data(WAREHOUSE, card, data))
    assert await world.balance("A-1") == (q(10), q(0))
    assert (await world.so(so)).status.value == "shipped"


async def test_redelivery_after_a_restart_is_refused_by_the_database(
    chat: ChatHarness, world: World, lang: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The in-process memory of update ids is gone after a restart; the idempotency key stored with
    the change refuses the second application (domain AlreadyApplied)."""
    await chat.say(WAREHOUSE, "/adjust B-2 +5 found", lang, update_id=BIG + 10)
    po = await world.approved_po((("A-1", 10, "1"),))
    await chat.say(WAREHOUSE, f"/receive {po} A-1 4", lang, update_id=BIG + 11)
    before = await snapshot(world.db)
    restarted = ChatHarness(world, recorder=chat.recorder)
    replies = await restarted.say(WAREHOUSE, "/adjust B-2 +5 found", lang, update_id=BIG + 10)
    replies += await restarted.say(WAREHOUSE, f"/receive {po} A-1 4", lang, update_id=BIG + 11)
    await unchanged(world, before)
    assert await world.balance("B-2") == (q(5), q(0)) and await world.balance("A-1") == (q(4), q(0))
    # What the person sees: at most a harmless note, never "busy, try again" or a failure.
    for reply in replies:
        assert reply.text == t(lang, "error.already_applied"), texts(replies)
    assert t(lang, "error.busy") not in texts(replies) and t(lang, "error.generic") not in texts(replies)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_decision_redelivered_after_a_restart(chat: ChatHarness, world: World) -> None:
    from tests.chat.steps import submitted

    number, _ = await submitted(chat, "A-1 1000 @20")  # two approvals
    approval = await approval_card(chat, MANAGER)
    await chat.press(MANAGER, approval, "Approve", update_id=BIG + 20)
    keys = await world.count(applied_commands)
    restarted = ChatHarness(world, recorder=chat.recorder)
    other = await approval_card(restarted, MANAGER2)
    await restarted.press_data(MANAGER, approval, other.buttons()[0][1], update_id=BIG + 20)
    po = await world.po(number)
    assert po.status.value == "pending_approval" and len(po.decisions) == 1
    assert await world.count(applied_commands) == keys
