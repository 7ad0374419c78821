"""The dialogues around the main loop, over HTTP against the real bot process: editing a draft's
lines, rejecting with a reason asked by ForceReply, revising, paging a list, /cancel; and a
SIGTERM that arrives while an update is being handled lets it finish."""

from __future__ import annotations

import asyncio
import sqlite3

from bot.emulator import Emulator
from domain import commands as c
from storage.tables import purchase_orders
from tests.e2e.conftest import BotProcess, People, last_card, no_errors
from tests.support import BUYER, MANAGER, WAREHOUSE, World, q


async def test_edit_reject_revise_page_and_cancel(emu: Emulator, company: tuple[str, World], people: People) -> None:
    url, world = company
    for _ in range(11):  # enough POs for a second page of /po
        await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("B-2", q(1), q(1)),)))
    bot = BotProcess(emu, url, "polling")
    await bot.start()
    try:
        # The buyer drafts a PO, edits its lines in the dialogue, then submits it.
        card = last_card(await people.say(BUYER, "/po new ACME A-1 300 @20", expect=2))
        number = next(w for w in card.content.split() if w.startswith("PO-"))
        await people.press(BUYER, card, "Edit lines")
        await people.settled()
        await people.say(BUYER, "A-1 250")
        await people.say(BUYER, "B-2 5 @3")
        card = last_card(await people.say(BUYER, "done"))
        assert "250" in card.content and "B-2" in card.content
        assert [(ln.sku, ln.qty) for ln in (await world.po(number)).lines] == [("A-1", q(250)), ("B-2", q(5))]
        await people.press(BUYER, card, "Submit")
        await people.settled()

        # The manager (Chinese) rejects: the bot asks for a reason with ForceReply, the reply decides.
        await people.new_messages(MANAGER, 0, 1, timeout=20)  # the approval request, pushed to approvers
        approval = last_card(await people.say(MANAGER, "/approvals", expect=2))
        before = len(await people.client.transcript(MANAGER))
        await people.press(MANAGER, approval, "驳回")
        [ask] = await people.new_messages(MANAGER, before, 1)
        assert "原因" in ask.content
        [done] = await people.say(MANAGER, "价格太高")
        assert "驳回" in done.content
        po = await world.po(number)
        assert po.status.value == "rejected"
        assert "价格太高" in (await emu.client.message(BUYER, card.message_id)).content

        # The buyer is told (an alert on its own schedule: waited for, so it is not taken for the
        # answer below) and revises the order back to a draft.
        async def told() -> bool | None:
            return any(f"{number} rejected by" in m.content for m in await emu.client.transcript(BUYER)) or None

        await emu.client.wait_until(told, timeout=20, what="the buyer's rejection alert")
        [card_now] = await people.say(BUYER, f"/po {number}")
        await people.press(BUYER, card_now, "Revise")
        await people.settled()
        assert (await world.po(number)).status.value == "draft"

        # /po lists ten per page; ▶ edits the list in place.
        [listing] = await people.say(BUYER, "/po all")
        assert listing.content.count("PO-2026-000") == 10
        await people.press(BUYER, listing, "▶")
        await people.settled()
        page2 = await emu.client.message(BUYER, listing.message_id)
        assert page2.content.count("PO-2026-000") == 2 and "PO-2026-00001" in page2.content

        # /cancel leaves a guided dialogue; nothing is saved.
        await people.say(BUYER, "/po new")
        await people.say(BUYER, "ACME")
        [cancelled] = await people.say(BUYER, "/cancel")
        assert "Cancelled" in cancelled.content
        [idle] = await people.say(BUYER, "A-1 5")
        assert "Nothing is in progress" in idle.content
        assert await world.count(purchase_orders) == 12

        await no_errors(emu.client)
    finally:
        code = await bot.stop()
    assert code == 0, bot.output.decode(errors="replace")


async def test_sigterm_lets_the_update_in_progress_finish(emu: Emulator, company: tuple[str, World], people: People) -> None:
    """The bot is stopped while an adjustment waits for the database (the test holds SQLite's
    write lock): it must finish that update — commit and reply — and then exit 0."""
    url, world = company
    bot = BotProcess(emu, url, "polling")
    await bot.start()
    path = url.split("///", 1)[1]
    on_hand_before, _ = await world.balance("A-1")
    lock = sqlite3.connect(path, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        before = len(await people.client.transcript(WAREHOUSE))
        await people.client.send_text(WAREHOUSE, "/adjust A-1 +7 found behind the shelf")
        await asyncio.sleep(1.0)  # the bot has taken the update and waits for the lock
        assert bot.proc is not None
        bot.proc.terminate()
        await asyncio.sleep(0.5)
        assert bot.proc.returncode is None  # still finishing
        lock.execute("COMMIT")
        [reply] = await people.new_messages(WAREHOUSE, before, 1, timeout=20)
        assert "A-1" in reply.content
        assert await bot.stop() == 0, bot.output.decode(errors="replace")
        assert (await world.balance("A-1"))[0] == on_hand_before + q(7)
        await no_errors(emu.client)
    finally:
        lock.close()
        if bot.proc is not None and bot.proc.returncode is None:
            await bot.stop()
