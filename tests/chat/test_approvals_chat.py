"""Submit, /approvals, approve and reject (ForceReply reason), two-approval tier, every copy edited."""

from __future__ import annotations

import asyncio

from tests.chat.harness import ChatHarness
from tests.chat.steps import approval_card, draft, is_force_reply, label, submitted, texts, unchanged
from tests.support import BUYER, MANAGER, MANAGER2, World, snapshot


async def test_submit_approve_edits_every_copy(chat: ChatHarness, world: World, lang: str) -> None:
    number, card = await draft(chat, "A-1 100 @20", lang)
    assert await chat.press(BUYER, card, label(lang, "submit"), lang) == []
    assert ("waiting for approval" if lang == "en" else "待审批") in card.text
    assert card.buttons() == []  # the buyer may not decide their own PO
    assert (await world.po(number)).status.value == "pending_approval"

    [waiting, approval] = await chat.say(MANAGER, "/approvals", lang)
    assert ("Waiting for your approval: 1" if lang == "en" else "等您审批：1") in waiting.text
    assert [lbl for lbl, _ in approval.buttons()] == [label(lang, "approve"), label(lang, "reject")]
    assert await chat.press(MANAGER, approval, label(lang, "approve"), lang) == []
    po = await world.po(number)
    assert po.status.value == "approved" and [d.user_id for d in po.decisions] == [MANAGER]
    for copy in (approval, card):  # the approver's card and the buyer's, both edited in place
        assert ("approved" if lang == "en" else "已批准") in copy.text
        assert "Mia" in copy.text
        assert label(lang, "approve") not in str(copy.buttons())
    assert approval.buttons() == [(label(lang, "receive_all"), f"o:p:{number}:{po.version}:rcv")]
    [nothing] = await chat.say(MANAGER, "/approvals", lang)
    assert nothing.text == ("Nothing is waiting for your approval." if lang == "en" else "没有等您审批的单据。")


async def test_reject_asks_a_reason_with_force_reply(chat: ChatHarness, world: World, lang: str) -> None:
    number, card = await submitted(chat, lang=lang)
    approval = await approval_card(chat, MANAGER, lang)
    [ask] = await chat.press(MANAGER, approval, label(lang, "reject"), lang)
    assert is_force_reply(ask) and number in ask.text
    assert (await world.po(number)).status.value == "pending_approval"  # nothing yet
    [done] = await chat.say(MANAGER, "price too high", lang)
    assert done.text == ("Rejected." if lang == "en" else "已驳回。")
    po = await world.po(number)
    assert po.status.value == "rejected" and po.decisions[-1].reason == "price too high"
    for copy in (approval, card):
        assert "price too high" in copy.text
    assert card.buttons() == [(label(lang, "revise"), f"o:p:{number}:{po.version}:rev")]
    assert label(lang, "approve") not in str(approval.buttons())  # (a manager may revise too)
    # Revise brings the draft back.
    await chat.press(BUYER, card, label(lang, "revise"), lang)
    assert (await world.po(number)).status.value == "draft"
    assert label(lang, "submit") in str(card.buttons())


async def test_reject_then_cancel_leaves_the_po_pending(chat: ChatHarness, world: World) -> None:
    number, _ = await submitted(chat)
    approval = await approval_card(chat)
    await chat.press(MANAGER, approval, "Reject")
    await chat.say(MANAGER, "/cancel")
    await chat.say(MANAGER, "not a reason any more")
    assert (await world.po(number)).status.value == "pending_approval"


async def test_empty_reason_is_refused(chat: ChatHarness, world: World) -> None:
    number, _ = await submitted(chat)
    approval = await approval_card(chat)
    await chat.press(MANAGER, approval, "Reject")
    [reply] = await chat.say(MANAGER, "   ")
    assert (await world.po(number)).status.value == "pending_approval"
    assert "reason" in reply.text.lower(), reply.text


async def test_two_approvals_from_two_managers(chat: ChatHarness, world: World, lang: str) -> None:
    number, card = await submitted(chat, "A-1 1000 @20", lang)  # 20,000: two approvals
    assert ("0 of 2" if lang == "en" else "0/2") in card.text
    first = await approval_card(chat, MANAGER, lang)
    second = await approval_card(chat, MANAGER2, "zh")
    await chat.press(MANAGER, first, label(lang, "approve"), lang)
    assert (await world.po(number)).status.value == "pending_approval"
    assert first.buttons() == []  # Mia has decided
    assert "1/2" in second.text and second.buttons()  # Max's copy redrawn: still his to decide
    assert ("1 of 2" if lang == "en" else "1/2") in card.text
    # Mia cannot approve twice, not even with the button data of the new version.
    before = await snapshot(world.db)
    await chat.press_data(MANAGER, first, second.buttons()[0][1], lang)
    await unchanged(world, before)
    await chat.press(MANAGER2, second, label("zh", "approve"), "zh")
    po = await world.po(number)
    assert po.status.value == "approved" and {d.user_id for d in po.decisions} == {MANAGER, MANAGER2}
    for copy in (first, second, card):
        assert "Mia" in copy.text and "Max" in copy.text


async def test_creator_cannot_approve_even_as_manager(chat: ChatHarness, world: World) -> None:
    replies = await chat.say(MANAGER, "/po new ACME A-1 100 @20")
    card = replies[-1]
    await chat.press(MANAGER, card, "Submit")
    number = card.buttons()[0][1].split(":")[2] if card.buttons() else "PO-2026-00001"
    assert card.buttons() == []  # no approve button for the creator
    assert "PO-2026-00001" not in texts(await chat.say(MANAGER, "/approvals"))
    before = await snapshot(world.db)
    [refused] = await chat.press_data(MANAGER, card, f"o:p:{number}:1:ok")
    assert "someone else" in refused.text
    await unchanged(world, before)
    approval = await approval_card(chat, MANAGER2)
    await chat.press(MANAGER2, approval, "Approve")
    assert (await world.po(number)).status.value == "approved"


async def test_two_approvers_at_once_give_one_decision(chat: ChatHarness, world: World) -> None:
    for _ in range(3):
        number, card = await submitted(chat)
        first = await approval_card(chat, MANAGER)
        second = await approval_card(chat, MANAGER2)
        await asyncio.gather(chat.press(MANAGER, first, "Approve"), chat.press(MANAGER2, second, "Approve"))
        po = await world.po(number)
        assert po.status.value == "approved"
        assert len(po.decisions) == 1, po.decisions
        assert first.text == second.text  # both copies end identical
        assert first.buttons() == second.buttons()
        assert "approved" in card.text
    assert await world.drift() == []
