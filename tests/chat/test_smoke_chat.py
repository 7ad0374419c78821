from __future__ import annotations

from tests.chat.harness import ChatHarness
from tests.support import BUYER, MANAGER, WAREHOUSE


async def test_start_and_stock(chat: ChatHarness) -> None:
    [reply] = await chat.say(BUYER, "/start")
    assert "Bo" in reply.text
    [card] = await chat.say(WAREHOUSE, "/stock A-1")
    assert "A-1" in card.text and "Bolt" in card.text


async def test_po_one_line_submit_approve(chat: ChatHarness) -> None:
    replies = await chat.say(BUYER, "/po new ACME A-1 300 @20")
    card = replies[-1]
    assert "PO-2026-00001" in card.text, [r.text for r in replies]
    await chat.press(BUYER, card, "Submit")
    assert "waiting for approval" in card.text
    [approval] = await chat.say(MANAGER, "/approvals")[-1:] if False else (await chat.say(MANAGER, "/approvals"))[-1:]
    await chat.press(MANAGER, approval, "Approve")
    assert "approved" in approval.text.lower()
