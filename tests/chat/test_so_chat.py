"""/so new (one line and guided) → confirm reserves stock; /so lists and cards."""

from __future__ import annotations

from tests.chat.harness import ChatHarness
from tests.chat.steps import label, so_count, so_draft, unchanged
from tests.support import BUYER, SALES, WAREHOUSE, World, q, snapshot


async def test_one_line_confirm_reserves(chat: ChatHarness, world: World, lang: str) -> None:
    await world.stock_in("A-1", 8)
    number, card = await so_draft(chat, "A-1 5 @9 by 2026-12-05", lang)
    assert "A-1 Bolt — 5 × 9 = 45.00 CNY" in card.text and "2026-12-05" in card.text
    assert [lbl for lbl, _ in card.buttons()] == [label(lang, "confirm"), label(lang, "discard")]
    assert await world.balance("A-1") == (q(8), q(0))  # a draft reserves nothing
    assert await chat.press(SALES, card, label(lang, "confirm"), lang) == []
    assert ("confirmed" if lang == "en" else "已确认") in card.text
    assert ("reserved 5" if lang == "en" else "5") in card.text
    assert await world.balance("A-1") == (q(8), q(5))
    assert (await world.so(number)).status.value == "confirmed"
    # Sales may not ship: no ship button on their card; the warehouse sees one.
    assert card.buttons() == []
    [wcard] = await chat.say(WAREHOUSE, f"/so {number}", lang)
    assert [lbl for lbl, _ in wcard.buttons()] == [label(lang, "ship_all")]


async def test_guided_so(chat: ChatHarness, world: World) -> None:
    for text in ["/so new", "shop", "B-2 2 @3"]:
        await chat.say(SALES, text, "zh")
    await chat.say(SALES, "完成", "zh")
    replies = await chat.say(SALES, "跳过", "zh")
    assert "SO-2026-00001" in replies[-1].text and "请核对销售单" in replies[0].text
    assert (await world.so("SO-2026-00001")).lines[0].qty == q(2)


async def test_discard_draft(chat: ChatHarness, world: World) -> None:
    number, card = await so_draft(chat)
    await chat.press(SALES, card, label("en", "discard"))
    assert (await world.so(number)).status.value == "cancelled"
    assert card.buttons() == []


async def test_bad_so_lines_change_nothing(chat: ChatHarness, world: World) -> None:
    before = await snapshot(world.db)
    for text, named in [
        ("/so new NOPE A-1 1", "NOPE"),
        ("/so new SHOP Z-9 1", "Z-9"),
        ("/so new SHOP A-1 0", "“0”"),
        ("/so new SHOP A-1 1 by 2020-01-01", "2020-01-01"),
        ("/so new ACME A-1 1", "ACME"),  # a supplier is not a customer
    ]:
        [reply] = await chat.say(SALES, text)
        assert named in reply.text, (text, reply.text)
    assert await so_count(world) == 0
    await unchanged(world, before)


async def test_confirm_without_stock_backorders(chat: ChatHarness, world: World) -> None:
    number, card = await so_draft(chat, "B-2 3 @1")
    await chat.press(SALES, card, "Confirm")
    so = await world.so(number)
    assert so.lines[0].reserved_qty == 0
    assert await world.balance("B-2") == (q(0), q(0))


async def test_lists_and_unknown_number(chat: ChatHarness, world: World, lang: str) -> None:
    await world.stock_in("A-1", 50)
    open_so = await world.confirmed_so((("A-1", 5),))
    await so_draft(chat, "A-1 1 @1", lang)
    [mine] = await chat.say(SALES, "/so", lang)
    assert mine.text.count("SO-2026-0000") == 2
    [open_] = await chat.say(WAREHOUSE, "/so", lang)  # not sales: open ones by default
    assert open_.text.count("SO-2026-0000") == 1 and open_so in open_.text
    [all_] = await chat.say(BUYER, "/so all", lang)
    assert all_.text.count("SO-2026-0000") == 2
    [miss] = await chat.say(SALES, "/so SO-2026-77777", lang)
    assert "SO-2026-77777" in miss.text and miss.buttons() == []
