from __future__ import annotations

from tests.chat.harness import ChatHarness
from tests.chat.steps import approval_card, submitted
from tests.support import BUYER, MANAGER, World


async def test_a_refused_reason_can_be_sent_again_and_a_command_is_not_taken_for_one(chat: ChatHarness, world: World) -> None:
    number, _ = await submitted(chat)
    card = await approval_card(chat)
    await chat.press(MANAGER, card, "Reject")

    [stock] = await chat.say(MANAGER, "/stock A-1")  # a command mid-dialogue is a command
    assert "A-1" in stock.text
    [too_long] = await chat.say(MANAGER, "x" * 600)
    assert "too long" in too_long.text
    assert (await world.po(number)).status.value == "pending_approval"

    await chat.say(MANAGER, "price too high")
    po = await world.po(number)
    assert po.status.value == "rejected" and po.decisions[-1].reason == "price too high"


async def test_history_names_what_happened_in_the_readers_language(chat: ChatHarness) -> None:
    number, _ = await submitted(chat)
    [zh] = await chat.say(BUYER, f"/history {number}", "zh")
    assert "创建采购单" in zh.text and "提交审批" in zh.text and "PurchaseOrder" not in zh.text
    [en] = await chat.say(BUYER, f"/history {number}", "en")
    assert "PO created" in en.text and "submitted for approval" in en.text
