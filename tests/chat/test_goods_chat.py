"""/receive (all, per line, the button, over-receipt) and /ship (all, per line, via carrier)."""

from __future__ import annotations

from tests.chat.harness import ChatHarness
from tests.chat.steps import label, unchanged
from tests.support import MANAGER, WAREHOUSE, World, q, snapshot


async def test_receive_per_line_then_all(chat: ChatHarness, world: World, lang: str) -> None:
    po = await world.approved_po((("A-1", 10, "1"), ("B-2", "2.5", "1")))
    [reply] = await chat.say(WAREHOUSE, f"/receive {po.lower()} a-1 4", lang)
    assert po in reply.text and "A-1 4/10" in reply.text and "B-2 0/2.5" in reply.text
    assert ("partly received" if lang == "en" else "部分") in reply.text
    assert (await world.balance("A-1"))[0] == q(4)
    [reply] = await chat.say(WAREHOUSE, f"/receive {po} all", lang)
    assert "A-1 10/10" in reply.text and "B-2 2.5/2.5" in reply.text
    assert (await world.po(po)).status.value == "received"
    assert await world.balance("A-1") == (q(10), q(0)) and (await world.balance("B-2"))[0] == q("2.5")
    assert await world.drift() == []


async def test_receive_refusals_change_nothing(chat: ChatHarness, world: World, lang: str) -> None:
    po = await world.approved_po((("A-1", 10, "1"),))
    await chat.say(WAREHOUSE, f"/receive {po} A-1 4", lang)
    before = await snapshot(world.db)
    cases = [
        (f"/receive {po} A-1 7", "at most 6 more" if lang == "en" else "最多还能收 6。"),  # over-receipt
        (f"/receive {po} B-2 1", "B-2"),  # not on this PO
        (f"/receive {po} A-1 0", "“0”"),
        (f"/receive {po} A-1", "A-1"),
        (f"/receive {po}", "all"),
        ("/receive PO-2026-09999 all", "PO-2026-09999"),
        ("/receive", "/receive"),
    ]
    for text, named in cases:
        [reply] = await chat.say(WAREHOUSE, text, lang)
        assert named in reply.text, (text, reply.text)
    await unchanged(world, before)


async def test_receive_all_button_and_a_received_po(chat: ChatHarness, world: World) -> None:
    po = await world.approved_po((("A-1", 10, "1"),))
    [card] = await chat.say(WAREHOUSE, f"/po {po}")
    [[_, data]] = card.buttons()
    assert data.endswith(":rcv")
    assert await chat.press(WAREHOUSE, card, "Receive all") == []
    assert "received" in card.text and card.buttons() == []
    assert (await world.balance("A-1"))[0] == q(10)
    before = await snapshot(world.db)
    [reply] = await chat.say(WAREHOUSE, f"/receive {po} all")
    assert "cannot receive" in reply.text
    await unchanged(world, before)


async def test_receive_before_approval_is_refused(chat: ChatHarness, world: World) -> None:
    from tests.chat.steps import submitted

    number, _ = await submitted(chat)
    before = await snapshot(world.db)
    [reply] = await chat.say(MANAGER, f"/receive {number} all")
    assert number in reply.text and "cannot receive" in reply.text
    await unchanged(world, before)


async def test_ship_per_line_via_carrier_then_all(chat: ChatHarness, world: World, lang: str) -> None:
    await world.stock_in("A-1", 20)
    await world.stock_in("B-2", 5)
    so = await world.confirmed_so((("A-1", 10), ("B-2", 3)))
    assert await world.balance("A-1") == (q(20), q(10))
    [reply] = await chat.say(WAREHOUSE, f"/ship {so} A-1 4 via SF 12345", lang)
    assert "A-1 × 4" in reply.text and so in reply.text
    assert await world.balance("A-1") == (q(16), q(6))
    [card] = await chat.say(WAREHOUSE, f"/so {so}", lang)
    assert "SF 12345" in card.text
    [reply] = await chat.say(WAREHOUSE, f"/ship {so} all", lang)
    assert "A-1 × 6" in reply.text and "B-2 × 3" in reply.text
    assert ("shipped" if lang == "en" else "已发货") in reply.text
    assert await world.balance("A-1") == (q(10), q(0)) and await world.balance("B-2") == (q(2), q(0))
    assert (await world.so(so)).status.value == "shipped"
    assert await world.drift() == []


async def test_ship_refusals_change_nothing(chat: ChatHarness, world: World) -> None:
    await world.stock_in("A-1", 20)
    so = await world.confirmed_so((("A-1", 10),))
    before = await snapshot(world.db)
    for text, named in [
        (f"/ship {so} A-1 11", "only 10 left"),
        (f"/ship {so} all via SF", "via"),
        (f"/ship {so} B-2 1", "B-2"),
        ("/ship SO-2026-09999 all", "SO-2026-09999"),
        ("/ship", "/ship"),
    ]:
        [reply] = await chat.say(WAREHOUSE, text)
        assert named in reply.text, (text, reply.text)
    await unchanged(world, before)


async def test_ship_all_button(chat: ChatHarness, world: World) -> None:
    await world.stock_in("A-1", 20)
    so = await world.confirmed_so((("A-1", 10),))
    [card] = await chat.say(WAREHOUSE, f"/so {so}", "zh")
    await chat.press(WAREHOUSE, card, label("zh", "ship_all"), "zh")
    assert "已发货" in card.text and card.buttons() == []
    assert await world.balance("A-1") == (q(10), q(0))
