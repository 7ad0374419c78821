"""Dialogues: two quick messages (RELIABILITY T11), a restart half-way, the inactivity timeout."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from aiogram.types import Chat, Message, Update
from aiogram.types import User as TgUser
from sqlalchemy import select

from storage.tables import dialogue_state
from tests.chat.harness import ChatHarness
from tests.chat.steps import is_force_reply, po_count, submitted, texts
from tests.support import BUYER, MANAGER, World, q

ROUNDS = 20


async def test_two_quick_lines_are_both_recorded(chat: ChatHarness, world: World) -> None:
    """T11: two messages sent at once on the lines step; each is one line, in order."""
    lines: list[list[str]] = []
    for i in range(ROUNDS):
        await chat.say(BUYER, "/po new")
        await chat.say(BUYER, "ACME")
        first, second = await asyncio.gather(chat.say(BUYER, f"A-1 {i + 1}"), chat.say(BUYER, "B-2 2"))
        assert [r.text for r in first] == [f"Added A-1 × {i + 1}. Next line, or “done”."]
        assert [r.text for r in second] == ["Added B-2 × 2. Next line, or “done”."]
        lines.append(await _lines(world))
        [ask_date] = await chat.say(BUYER, "done")
        assert "YYYY-MM-DD" in ask_date.text
        replies = await chat.say(BUYER, "skip")
        number = f"PO-2026-{i + 1:05d}"
        assert number in replies[-1].text, texts(replies)
        po = await world.po(number)
        # Both lines, each once (the order between two messages sent at once is the next test's).
        assert sorted((ln.sku, ln.qty) for ln in po.lines) == [("A-1", q(i + 1)), ("B-2", q(2))]
    assert await po_count(world) == ROUNDS
    assert await world.count(dialogue_state) == 0
    assert all(len(seen) == 2 for seen in lines)


async def _lines(world: World) -> list[str]:
    """The lines the open dialogue holds, straight from the dialogue table."""
    async with world.db.reading() as conn:
        data = await conn.scalar(select(dialogue_state.c.data).where(dialogue_state.c.user_id == BUYER))
    return [line[0] for line in json.loads(str(data))["lines"]]


async def test_quick_steps_across_a_step_boundary_keep_their_order(chat: ChatHarness, world: World) -> None:
    """T11: the supplier and the first line at once, then the last line and "done" at once.
    Catches handling each update as it comes (no per-person isolation from reading the dialogue
    step to the reply): the line is then judged by the step before, and taken for a supplier."""
    for i in range(20):
        await chat.say(BUYER, "/po new")
        partner, line = await asyncio.gather(chat.say(BUYER, "ACME"), chat.say(BUYER, "C-3 5"))
        assert "Add a line" in partner[0].text and "Added C-3 × 5" in line[0].text
        line, done = await asyncio.gather(chat.say(BUYER, "A-1 1"), chat.say(BUYER, "done"))
        assert "Added A-1 × 1" in line[0].text and "YYYY-MM-DD" in done[0].text
        await chat.say(BUYER, "skip")
        po = await world.po(f"PO-2026-{i + 1:05d}")
        assert [ln.sku for ln in po.lines] == ["C-3", "A-1"]


async def test_restart_in_the_middle_of_po_new_resumes(chat: ChatHarness, world: World) -> None:
    await chat.say(BUYER, "/po new", "zh")
    await chat.say(BUYER, "ACME", "zh")
    await chat.say(BUYER, "A-1 3 @2", "zh")
    restarted = ChatHarness(world, recorder=chat.recorder)  # a new process; Telegram kept the chat
    [added] = await restarted.say(BUYER, "B-2 4", "zh")
    assert "已添加 B-2 × 4" in added.text
    await restarted.say(BUYER, "完成", "zh")
    replies = await restarted.say(BUYER, "2026-12-31", "zh")
    assert "PO-2026-00001" in replies[-1].text
    po = await world.po("PO-2026-00001")
    assert [(ln.sku, ln.qty) for ln in po.lines] == [("A-1", q(3)), ("B-2", q(4))]
    assert str(po.expected_date) == "2026-12-31"


async def test_restart_while_a_reject_reason_is_asked(chat: ChatHarness, world: World) -> None:
    number, card = await submitted(chat)
    [_, approval] = await chat.say(MANAGER, "/approvals")
    [ask] = await chat.press(MANAGER, approval, "Reject")
    assert is_force_reply(ask)
    restarted = ChatHarness(world, recorder=chat.recorder)
    await restarted.say(MANAGER, "over budget")
    po = await world.po(number)
    assert po.status.value == "rejected" and po.decisions[-1].reason == "over budget"
    assert "over budget" in card.text and "over budget" in approval.text  # copies from before the restart


async def test_dialogue_times_out_after_inactivity(chat: ChatHarness, world: World) -> None:
    await chat.say(BUYER, "/po new")
    await chat.say(BUYER, "ACME")
    world.clock.advance(hours=13)  # the default timeout is 12 h
    [idle] = await chat.say(BUYER, "A-1 1")  # not taken as a line, and not ignored in silence
    assert idle.text.startswith("Nothing is in progress here") and "12 h" in idle.text, idle.text
    [nothing] = await chat.say(BUYER, "/cancel")
    assert nothing.text == "There is nothing to cancel."
    assert await world.count(dialogue_state) == 0


async def test_an_unknown_command_in_private_is_answered_and_a_group_line_is_not(chat: ChatHarness, world: World) -> None:
    [reply] = await chat.say(BUYER, "/frobnicate now", "zh")
    assert reply.text == "不认识 /frobnicate 这个命令。/help 可查看全部命令。"
    [idle] = await chat.say(BUYER, "你好", "zh")
    assert idle.text.startswith("当前没有进行中的操作")
    group = Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=-100500, type="supergroup", title="Team"),
        from_user=TgUser(id=BUYER, is_bot=False, first_name="b", language_code="zh"),
        text="大家好",
    )
    assert await chat.feed(Update(update_id=next(chat.update_ids), message=group)) == []
