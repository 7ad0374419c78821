"""/stock: exact SKU, words with one hit, a miss with suggestions, no arguments."""

from __future__ import annotations

from domain import commands as c
from tests.chat.harness import ChatHarness
from tests.support import ADMIN, SALES, VIEWER, WAREHOUSE, World, q, snapshot


async def test_exact_sku_any_case(chat: ChatHarness, world: World, lang: str) -> None:
    await world.stock_in("A-1", 25)
    for text in ["/stock A-1", "/stock a-1", "/stock  A-1 "]:
        [card] = await chat.say(VIEWER, text, lang)
        assert "A-1 · Bolt" in card.text
        assert "25" in card.text and "20" in card.text  # on hand, reorder point
        assert card.buttons() == []
    [low] = await chat.say(VIEWER, "/stock B-2", lang)
    assert "⚠️" not in low.text


async def test_card_flags_low_stock_and_inbound(chat: ChatHarness, world: World) -> None:
    await world.stock_in("A-1", 5)
    [card] = await chat.say(VIEWER, "/stock A-1")
    assert "Below the reorder point" in card.text
    await world.approved_po((("A-1", 30, "2"),))
    [card] = await chat.say(VIEWER, "/stock A-1")
    assert "Inbound (approved POs): 30" in card.text
    assert "Below the reorder point" not in card.text  # judged on on hand + inbound
    assert "Default supplier: ACME" in card.text


async def test_words_with_one_hit_show_the_card(chat: ChatHarness) -> None:
    [card] = await chat.say(SALES, "/stock bolt")
    assert "A-1 · Bolt" in card.text
    [card] = await chat.say(SALES, "/stock 垫圈", "zh")
    assert "C-3" in card.text and "单位" in card.text


async def test_miss_with_suggestions_and_pressing_one(chat: ChatHarness, world: World, lang: str) -> None:
    for sku, name in [("BR-1", "Bracket small"), ("BR-2", "Bracket large")]:
        await world.do(c.CreateItem(actor_id=ADMIN, sku=sku, name=name, reorder_point=q(0), reorder_qty=q(1)))
    [miss] = await chat.say(WAREHOUSE, "/stock bracket", lang)
    assert ("No item" if lang == "en" else "没有物料") in miss.text
    labels = [label for label, _ in miss.buttons()]
    assert sorted(labels) == ["BR-1 · Bracket small", "BR-2 · Bracket large"]
    assert {data for _, data in miss.buttons()} == {"i:BR-1", "i:BR-2"}
    before = await snapshot(world.db)
    [card] = await chat.press(WAREHOUSE, miss, "BR-2", lang)
    assert "BR-2 · Bracket large" in card.text
    assert await snapshot(world.db) == before


async def test_nothing_like_it(chat: ChatHarness, lang: str) -> None:
    [miss] = await chat.say(WAREHOUSE, "/stock zzzz", lang)
    assert "zzzz" in miss.text and miss.buttons() == []


async def test_empty_args_explain_usage(chat: ChatHarness, lang: str) -> None:
    [usage] = await chat.say(WAREHOUSE, "/stock", lang)
    assert "/stock A-1" in usage.text


async def test_forged_pick_of_unknown_sku_is_a_miss(chat: ChatHarness) -> None:
    [miss] = await chat.say(WAREHOUSE, "/stock zzzz")
    [reply] = await chat.press_data(WAREHOUSE, miss, "i:NOPE<b>")
    assert "NOPE&lt;b&gt;" in reply.text
