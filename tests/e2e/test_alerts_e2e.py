"""Alerts from the real bot process over HTTP: who hears what, in which chat; a person who
blocked the bot stops no one else; a process killed (SIGKILL) in the middle of a burst delivers
everything after a restart, nothing twice except the one message that was in flight."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.emulator import Emulator, EmulatorClient
from bot.emulator.limits import FloodLimits
from bot.emulator.models import ChatMessage
from storage.deliveries import NewDelivery, enqueue
from storage.uow import SqlUnitOfWork
from tests.e2e.conftest import BotProcess, People, last_card
from tests.support import ADMIN, BUYER, MANAGER, MANAGER2, WAREHOUSE, World, q


def texts(messages: list[ChatMessage]) -> list[str]:
    return [m.content for m in messages if m.from_bot]


async def test_alerts_reach_the_group_and_the_people_they_concern(
    emu: Emulator, company: tuple[str, World], people: People
) -> None:
    url, world = company
    client = emu.client
    group = await client.create_group("Purchasing", members=[ADMIN, BUYER, MANAGER], admins=[ADMIN], supergroup=True)
    await client.block(MANAGER2)  # an approver who blocked the bot
    bot = BotProcess(emu, url, "polling")
    await bot.start()
    try:
        await client.send_text(ADMIN, "/bind approval_request decision receipt low_stock", chat_id=group.id)
        await client.wait_until(lambda: _has(client, group.id, "now receives"), timeout=10, what="the /bind confirmation")

        # A PO needing one approval: approvers hear of it privately, as a card with their buttons.
        card = last_card(await people.say(BUYER, "/po new ACME A-1 300 @20", expect=2))
        await people.press(BUYER, card, "Submit")
        request = await client.wait_until(lambda: _card_in(client, MANAGER, "PO-2026-00001"), timeout=15, what="request")
        assert [b.style for b in request.buttons] == ["success", "danger"]
        await client.wait_until(lambda: _card_in(client, ADMIN, "PO-2026-00001"), timeout=15, what="admin's request")
        await client.wait_until(lambda: _has(client, group.id, "PO-2026-00001"), timeout=15, what="group request")
        # The blocked approver's 403 made their chat inactive and the admins were told, once.
        notice = await client.wait_until(lambda: _has(client, ADMIN, str(MANAGER2)), timeout=15, what="notice")
        assert notice

        # The manager approves on the pushed card: it is edited in place, the buyer and the group hear.
        await people.press(MANAGER, request, "批准")
        await client.wait_until(lambda: _has(client, BUYER, "approved by Mia"), timeout=15, what="decision")
        await client.wait_until(lambda: _has(client, group.id, "Mia"), timeout=15, what="group decision")
        pushed = await client.message(MANAGER, request.message_id)
        assert "✅" in pushed.content and not any("批准" in b.text for b in pushed.buttons)

        # Goods arrive: the buyer hears; then a count leaves A-1 below its reorder point (20).
        await people.say(WAREHOUSE, "/receive PO-2026-00001 all")
        await client.wait_until(lambda: _has(client, BUYER, "Goods received for PO-2026-00001"), timeout=15, what="receipt")
        await people.say(WAREHOUSE, "/adjust A-1 =5 counted")
        await client.wait_until(lambda: _has(client, group.id, "Low stock"), timeout=15, what="low stock")
        assert (await world.balance("A-1"))[0] == q(5)
        await people.settled()

        # The blocked approver unblocks the bot: the next request reaches them again.
        await client.block(MANAGER2, False)
        await people.settled()
        card = last_card(await people.say(BUYER, "/po new ACME B-2 2000 @5", expect=2))
        await people.press(BUYER, card, "Submit")
        await client.wait_until(lambda: _card_in(client, MANAGER2, "PO-2026-00002"), timeout=15, what="request after unblock")

        # Once more nobody is told twice, and the only errors were the blocked person's 403s.
        admin_notices = [t for t in texts(await client.transcript(ADMIN)) if str(MANAGER2) in t]
        assert len(admin_notices) == 1, admin_notices
        errors = await client.errors()
        assert errors and all(e.code == 403 and e.params.get("chat_id") == str(MANAGER2) for e in errors), errors
        group_texts = texts(await client.transcript(group.id))
        assert sum("Low stock" in t for t in group_texts) == 1, group_texts
    finally:
        code = await bot.stop()
    assert code == 0, bot.output.decode(errors="replace")


async def test_a_process_killed_mid_burst_delivers_everything_after_a_restart(
    emu: Emulator, company: tuple[str, World], people: People
) -> None:
    url, world = company
    client = emu.client
    group = await client.create_group("Warehouse", members=[ADMIN], supergroup=True)
    await client.set_limits(FloodLimits())  # the emulator's limits are the sender's business elsewhere
    async with SqlUnitOfWork(world.db) as uow:  # committed alerts, as a business transaction leaves them
        await _queue(uow.conn, group.id, 40)
        await uow.commit()
    bot = BotProcess(emu, url, "polling")
    bot.extra = {"CAIXIAO_SENDER__PER_CHAT_PER_SECOND": "20", "CAIXIAO_SENDER__PER_GROUP_PER_MINUTE": "600"}
    await bot.start()
    await client.wait_until(lambda: _at_least(client, group.id, 8), timeout=20, what="some of the burst")
    assert bot.proc is not None
    bot.proc.kill()  # SIGKILL: no drain, no goodbye
    await bot.proc.wait()

    again = BotProcess(emu, url, "polling")
    again.extra = bot.extra
    await again.start()
    try:
        await client.wait_until(lambda: _distinct(client, group.id, 40), timeout=30, what="the whole burst")
        counts = Counter(texts(await client.transcript(group.id)))
        assert set(counts) == {f"alert {n:02d}" for n in range(40)}
        assert sum(n - 1 for n in counts.values()) <= 1, counts  # at most the one in flight twice
        seen = [int(t.split()[1]) for t in texts(await client.transcript(group.id))]
        assert [n for i, n in enumerate(seen) if n not in seen[:i]] == sorted(set(seen))  # in order
    finally:
        assert await again.stop() == 0


async def _queue(conn: AsyncConnection, chat_id: int, count: int) -> None:
    now = datetime.now(UTC)
    await enqueue(conn, [NewDelivery(chat_id, f"alert {n:02d}", "en", "receipt") for n in range(count)], now)


async def _has(client: EmulatorClient, chat_id: int, words: str) -> ChatMessage | None:
    for m in await client.transcript(chat_id):
        if m.from_bot and words in m.content:
            return m
    return None


async def _card_in(client: EmulatorClient, chat_id: int, words: str) -> ChatMessage | None:
    for m in await client.transcript(chat_id):
        if m.from_bot and words in m.content and m.buttons:
            return m
    return None


async def _at_least(client: EmulatorClient, chat_id: int, count: int) -> bool | None:
    return True if len(texts(await client.transcript(chat_id))) >= count else None


async def _distinct(client: EmulatorClient, chat_id: int, count: int) -> bool | None:
    return True if len(set(texts(await client.transcript(chat_id)))) >= count else None
