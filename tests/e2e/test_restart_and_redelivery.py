"""What survives: a dialogue across a restart of the bot process, an update Telegram delivers
twice, and people in a forum topic being answered in that topic."""

from __future__ import annotations

from bot.emulator import Emulator
from tests.e2e.conftest import BotProcess, People, last_card, no_errors
from tests.support import BUYER, MANAGER, WAREHOUSE, World, q


async def test_dialogue_survives_a_restart_and_redelivery_applies_once(
    emu: Emulator, company: tuple[str, World], people: People
) -> None:
    url, world = company
    bot = BotProcess(emu, url, "polling")
    await bot.start()
    await people.say(BUYER, "/po new")
    await people.say(BUYER, "ACME")
    await people.say(BUYER, "A-1 40 @2")
    assert await bot.stop() == 0

    bot = BotProcess(emu, url, "polling")
    await bot.start()
    try:
        await people.say(BUYER, "B-2 5")  # the dialogue goes on where it was
        await people.say(BUYER, "done")
        replies = await people.say(BUYER, "skip", expect=2)
        card = last_card(replies)
        assert "A-1" in card.content and "B-2" in card.content and "80.00 CNY" in card.content

        po = await world.approved_po((("A-1", 10, "1"),))
        before = await world.balance("A-1")
        sent = await emu.client.send_text(WAREHOUSE, f"/receive {po} A-1 4")
        await people.settled()
        assert update_id(sent.update) is not None
        await emu.client.redeliver(update_id(sent.update))
        await people.settled()
        assert (await world.balance("A-1"))[0] == before[0] + q(4)
        assert (await world.po(po)).lines[0].received_qty == q(4)
        await no_errors(emu.client)
    finally:
        assert await bot.stop() == 0


def update_id(update: dict[str, object] | None) -> int:
    assert update is not None
    return int(update["update_id"])  # type: ignore[call-overload]


async def test_forum_topic_is_answered_in_its_topic(emu: Emulator, company: tuple[str, World], people: People) -> None:
    url, _ = company
    group = await emu.client.create_group("Ops", members=[BUYER, MANAGER], forum=True, supergroup=True, topics=["stock"])
    topic = group.topics["stock"]
    bot = BotProcess(emu, url, "polling")
    await bot.start()
    try:
        await emu.client.send_text(BUYER, "/stock A-1", chat_id=group.id, thread_id=topic)
        answer = await emu.client.wait_for_message(group.id, thread_id=topic)
        assert answer.thread_id == topic and "A-1" in answer.content
        await no_errors(emu.client)
    finally:
        assert await bot.stop() == 0
