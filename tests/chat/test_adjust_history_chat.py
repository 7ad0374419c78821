"""/adjust +n -n =n with a reason, and /history of a PO, an SO, an item, and of nothing."""

from __future__ import annotations

from tests.chat.harness import ChatHarness
from tests.chat.steps import draft, unchanged
from tests.support import MANAGER, SALES, WAREHOUSE, World, q, snapshot


async def test_adjust_forms(chat: ChatHarness, world: World, lang: str) -> None:
    [reply] = await chat.say(WAREHOUSE, "/adjust a-1 +10 found in back room", lang)
    assert "A-1" in reply.text and "+10" in reply.text and "found in back room" in reply.text
    assert await world.balance("A-1") == (q(10), q(0))
    [reply] = await chat.say(WAREHOUSE, "/adjust A-1 -2.5 broken", lang)
    assert "-2.5" in reply.text and "7.5" in reply.text
    [reply] = await chat.say(MANAGER, "/adjust A-1 =4 stock count", lang)
    assert "-3.5" in reply.text and "4" in reply.text
    [reply] = await chat.say(WAREHOUSE, "/adjust A-1 ＋１ 全角", lang)
    assert await world.balance("A-1") == (q(5), q(0))
    assert await world.drift() == []


async def test_bad_adjustments_change_nothing(chat: ChatHarness, world: World, lang: str) -> None:
    await world.stock_in("A-1", 3)
    before = await snapshot(world.db)
    for text, named in [
        ("/adjust A-1 5 x", "+n" if lang == "en" else "+n"),
        ("/adjust A-1 +0 x", "“0”"),
        ("/adjust A-1 +abc x", "“abc”"),
        ("/adjust A-1 +1", "reason" if lang == "en" else "原因"),
        ("/adjust A-1 -100 x", "only 3" if lang == "en" else "3"),
        ("/adjust Z-9 +1 x", "Z-9"),
        ("/adjust A-1", "+n"),
        ("/adjust", "/adjust A-1 -2"),
    ]:
        [reply] = await chat.say(WAREHOUSE, text, lang)
        assert named in reply.text, (text, reply.text)
    await unchanged(world, before)


async def test_history(chat: ChatHarness, world: World, lang: str) -> None:
    number, _ = await draft(chat)
    await chat.say(WAREHOUSE, "/adjust A-1 +5 found", lang)
    [po] = await chat.say(SALES, f"/history {number.lower()}", lang)
    assert number in po.text and "Bo" in po.text
    [sku] = await chat.say(SALES, "/history A-1", lang)
    assert "A-1" in sku.text and "Wen" in sku.text and "+5" in sku.text
    await world.stock_in("B-2", 5)
    so = await world.confirmed_so((("B-2", 1),))
    [so_history] = await chat.say(SALES, f"/history {so}", lang)
    assert so in so_history.text and "Sam" in so_history.text
    [nothing] = await chat.say(SALES, "/history NOPE-1", lang)
    assert "NOPE-1" in nothing.text
    [usage] = await chat.say(SALES, "/history", lang)
    assert "/history" in usage.text


async def test_long_history_fits_one_message(chat: ChatHarness, world: World) -> None:
    for i in range(30):
        await world.stock_in("A-1", i + 1)
    [reply] = await chat.say(SALES, "/history A-1")
    assert "older entries not shown" in reply.text
