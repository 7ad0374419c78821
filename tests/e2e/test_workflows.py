"""The whole buy–stock–sell loop, typed and tapped by people in each role, against the real bot
process over HTTP; in polling and in webhook mode; some people in Chinese, some in English."""

from __future__ import annotations

import pytest

from bot.emulator import Emulator
from tests.e2e.conftest import BotProcess, People, last_card, no_errors, text_of
from tests.support import BUYER, MANAGER, SALES, VIEWER, WAREHOUSE, World, q


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_buy_stock_sell_loop(mode: str, emu: Emulator, company: tuple[str, World], people: People) -> None:
    url, world = company
    bot = BotProcess(emu, url, mode)
    await bot.start()
    try:
        # Someone unknown is told their id and nothing else.
        [refusal] = await people.say(999_001, "/start")
        assert "999001" in refusal.content

        # The buyer drafts a PO in one line and submits it from its review card (English).
        replies = await people.say(BUYER, "/po new ACME A-1 300 @20 by 2026-12-10", expect=2)
        card = last_card(replies)
        assert "PO-2026-00001" in card.content and "6,000.00 CNY" in card.content
        await people.press(BUYER, card, "Submit")
        await people.settled()
        assert (await world.po("PO-2026-00001")).status.value == "pending_approval"

        # The manager (Chinese) sees it waiting and approves with one tap (green button).
        await people.new_messages(MANAGER, 0, 1, timeout=20)  # the approval request, pushed to approvers
        replies = await people.say(MANAGER, "/approvals", expect=2)
        approval = last_card(replies)
        assert "采购单 PO-2026-00001" in approval.content
        assert [b.style for b in approval.buttons] == ["success", "danger"]
        await people.press(MANAGER, approval, "批准")
        await people.settled()
        assert (await world.po("PO-2026-00001")).status.value == "approved"
        # Both copies of the card now show the decision and no stale buttons.
        for chat, message_id in ((MANAGER, approval.message_id), (BUYER, card.message_id)):
            copy = await emu.client.message(chat, message_id)
            assert not any(b.text.endswith(("Approve", "批准")) for b in copy.buttons)
        assert "✅" in (await emu.client.message(BUYER, card.message_id)).content

        # The warehouse (Chinese) is told the order is approved (an alert, delivered on its own
        # schedule: wait for it, or it could be taken for the reply below), and receives everything.
        [notice] = await people.new_messages(WAREHOUSE, 0, 1, timeout=20)
        assert "PO-2026-00001" in notice.content and "批准" in notice.content
        replies = await people.say(WAREHOUSE, "/receive PO-2026-00001 all")
        assert "已收货" in text_of(replies)
        assert (await world.balance("A-1"))[0] == q(300)

        # Sales sells 120 and confirms from the review card; the warehouse ships with tracking.
        replies = await people.say(SALES, "/so new SHOP A-1 120 @35", expect=2)
        await people.press(SALES, last_card(replies), "Confirm")
        await people.settled()
        assert await world.balance("A-1") == (q(300), q(120))
        replies = await people.say(WAREHOUSE, "/ship SO-2026-00001 all via SF SF123456")
        assert "SO-2026-00001" in text_of(replies)
        assert await world.balance("A-1") == (q(180), q(0))

        # Anyone registered can look; a viewer may not change anything.
        [stock] = await people.say(VIEWER, "/stock a-1")
        assert "on hand 180" in stock.content
        [refused] = await people.say(VIEWER, "/adjust A-1 +5 found")
        assert "may not" in refused.content
        assert await world.balance("A-1") == (q(180), q(0))

        # The buyer was told of the receipt (wait for it: an alert arriving after the command
        # below would be taken for its answer), then reads the order's history.
        async def told() -> bool | None:
            return any("Goods received for PO-2026-00001" in m.content for m in await emu.client.transcript(BUYER)) or None

        await emu.client.wait_until(told, timeout=20, what="the buyer's receipt alert")
        [history] = await people.say(BUYER, "/history PO-2026-00001")
        assert "PO-2026-00001" in history.content and "Goods received for" not in history.content

        await no_errors(emu.client)
    finally:
        code = await bot.stop()
    assert code == 0, bot.output.decode(errors="replace")
