"""/po new (one line and guided), every bad input, /po lists with pages, /po <number>."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain import commands as c
from storage.tables import dialogue_state
from tests.chat.harness import ChatHarness
from tests.chat.steps import draft, label, po_count, unchanged
from tests.support import ADMIN, BUYER, MANAGER, VIEWER, WAREHOUSE, World, q, snapshot


async def test_one_line_with_price_and_date_shows_a_draft(chat: ChatHarness, world: World, lang: str) -> None:
    replies = await chat.say(BUYER, "/po new acme A-1 10 @2.5 b-2 1,000 @0.1 by 2026-12-01", lang)
    assert len(replies) == 2
    assert replies[0].text == ("Check the order, then submit it." if lang == "en" else "请核对订单，然后提交。")
    card = replies[1]
    assert "PO-2026-00001" in card.text
    assert "A-1 Bolt — 10 × 2.5 = 25.00 CNY" in card.text
    assert "B-2 Nut — 1,000 × 0.1 = 100.00 CNY" in card.text
    assert "125.00 CNY" in card.text and "2026-12-01" in card.text
    assert [lbl for lbl, _ in card.buttons()] == [label(lang, "submit"), label(lang, "edit_lines"), label(lang, "discard")]
    po = await world.po("PO-2026-00001")
    assert po.status.value == "draft" and po.expected_date == date(2026, 12, 1)
    assert [(ln.sku, ln.qty, ln.unit_price) for ln in po.lines] == [("A-1", q(10), q("2.5")), ("B-2", q(1000), q("0.1"))]


async def test_full_width_digits_and_grouping_are_accepted(chat: ChatHarness, world: World) -> None:
    await chat.say(BUYER, "/po new ACME A-1 １０ ＠２")
    await chat.say(BUYER, "/po new ACME A-1 1,000")
    assert (await world.po("PO-2026-00001")).lines[0].qty == Decimal(10)
    assert (await world.po("PO-2026-00001")).lines[0].unit_price == Decimal(2)
    assert (await world.po("PO-2026-00002")).lines[0].qty == Decimal(1000)


BAD_ONE_LINE = [
    ("NOPE A-1 1", "No supplier “NOPE” found.", "未找到供应商“NOPE”"),
    ("ACME Z-9 1", "No item “Z-9” found.", "Z-9"),
    ("ACME A-1 0", "quantity (A-1) “0”: must be more than zero.", "必须大于零"),
    ("ACME A-1 -1", "quantity (A-1) “-1”: must be more than zero.", "必须大于零"),
    ("ACME A-1 abc", "quantity (A-1) “abc”: not a number (examples: 10, 10.5, 1,000).", "不是有效数字"),
    ("ACME A-1 1e99", "quantity (A-1) “1e99”: not a number", "不是有效数字"),
    ("ACME A-1 99999999999999", "quantity (A-1) “99999999999999”: is too large.", "数值过大"),
    ("ACME A-1 1.2345", "quantity (A-1) “1.2345”: has too many decimals", "小数位过多"),
    ("ACME A-1 1 @-5", "price “-5”: must not be negative.", "单价“-5”：不能为负数"),
    ("ACME A-1 1 @1.23456", "price “1.23456”: has too many decimals", "小数位过多"),
    ("ACME A-1 1 by 2026-13-01", "delivery date “2026-13-01”: is not a date; write it as YYYY-MM-DD", "不是有效日期"),
    ("ACME A-1 1 by 2020-01-01", "“2020-01-01”: is in the past.", "日期已过"),
    ("ACME A-1", "quantity “A-1”: needs a quantity after it", "后面需要数量"),
    ("ACME @5", "price “@5”: a price (@…) goes after a SKU and its quantity", "单价（@…）要写在编码和数量之后"),
    ("ACME", "an order needs at least one line", "订单至少需要一行"),
]


async def test_every_bad_one_line_gets_a_specific_message_and_changes_nothing(chat: ChatHarness, world: World, lang: str) -> None:
    before = await snapshot(world.db)
    for text, en, zh in BAD_ONE_LINE:
        [reply] = await chat.say(BUYER, f"/po new {text}", lang)
        assert (en if lang == "en" else zh) in reply.text, (text, reply.text)
    assert await po_count(world) == 0
    await unchanged(world, before)


async def test_guided_supplier_lines_done_date(chat: ChatHarness, world: World, lang: str) -> None:
    [ask] = await chat.say(BUYER, "/po new", lang)
    assert "ACME" in ask.text
    [nope] = await chat.say(BUYER, "NOPE", lang)
    assert "NOPE" in nope.text
    [ask_line] = await chat.say(BUYER, "acme", lang)
    assert "A-1 10 @2.5" in ask_line.text
    [need] = await chat.say(BUYER, "done" if lang == "en" else "完成", lang)
    assert need.text == ("Add at least one line first." if lang == "en" else "请先至少添加一行。")
    [added] = await chat.say(BUYER, "a-1 5 @2", lang)
    assert "A-1 × 5" in added.text
    [added] = await chat.say(BUYER, "C-3 1,000", lang)
    assert "C-3 × 1,000" in added.text
    [ask_date] = await chat.say(BUYER, "done", lang)
    assert "YYYY-MM-DD" in ask_date.text
    assert await po_count(world) == 0  # nothing is created before the review
    replies = await chat.say(BUYER, "2026-12-24", lang)
    card = replies[-1]
    assert "PO-2026-00001" in card.text and "2026-12-24" in card.text
    po = await world.po("PO-2026-00001")
    assert [(ln.sku, ln.qty) for ln in po.lines] == [("A-1", q(5)), ("C-3", q(1000))]
    assert po.supplier_code == "ACME" and po.status.value == "draft"
    assert await world.count(dialogue_state) == 0  # the dialogue is over


async def test_guided_skip_date_uses_the_lead_time(chat: ChatHarness, world: World) -> None:
    for text in ["/po new", "ACME", "B-2 3 @1", "完成"]:
        await chat.say(BUYER, text, "zh")
    replies = await chat.say(BUYER, "跳过", "zh")
    assert "PO-2026-00001" in replies[-1].text
    assert (await world.po("PO-2026-00001")).expected_date == date(2026, 11, 28)  # 5 days' lead time


async def test_guided_bad_steps_change_nothing(chat: ChatHarness, world: World, lang: str) -> None:
    await chat.say(BUYER, "/po new", lang)
    await chat.say(BUYER, "ACME", lang)
    await chat.say(BUYER, "A-1 1", lang)
    before = await snapshot(world.db)
    cases = [
        ("Z-9 1", "Z-9"),
        ("A-1 0", "“0”"),
        ("A-1 -1", "“-1”"),
        ("A-1 abc", "“abc”"),
        ("A-1 1e99", "“1e99”"),
        ("A-1 1.0001", "“1.0001”"),
        ("A-1", "A-1"),
        ("A-1 5 @2 B-2 3", "A-1 5 @2 B-2 3"),
    ]
    for text, named in cases:
        [reply] = await chat.say(BUYER, text, lang)
        assert named in reply.text, (text, reply.text)
    await unchanged(world, before)
    await chat.say(BUYER, "done", lang)
    before = await snapshot(world.db)
    for text in ["2026-13-01", "2020-01-01", "tomorrow"]:
        [reply] = await chat.say(BUYER, text, lang)
        assert text in reply.text
    assert await po_count(world) == 0
    await unchanged(world, before)
    await chat.say(BUYER, "skip", lang)
    assert await po_count(world) == 1


async def test_a_command_mid_dialogue_is_a_command_and_a_sticker_is_asked_for_text(chat: ChatHarness, world: World) -> None:
    await chat.say(BUYER, "/po new")
    [card] = await chat.say(BUYER, "/stock A-1")
    assert "A-1 · Bolt" in card.text
    [ok] = await chat.say(BUYER, "ACME")  # the dialogue is still at its first step
    assert "Add a line" in ok.text


async def test_unknown_number_and_card(chat: ChatHarness, world: World) -> None:
    number, _ = await draft(chat)
    [card] = await chat.say(MANAGER, f"/po {number.lower()}")
    assert number in card.text and "draft" in card.text
    assert [lbl for lbl, _ in card.buttons()] == [label("en", "submit"), label("en", "edit_lines"), label("en", "discard")]
    [card] = await chat.say(WAREHOUSE, f"/po {number}", "zh")
    assert card.buttons() == [] and "草稿" in card.text
    [miss] = await chat.say(BUYER, "/po PO-2026-99999")
    assert miss.text == "No purchase order “PO-2026-99999”. Send /po to see the list."
    [miss] = await chat.say(BUYER, "/po <b>x</b>", "zh")
    assert "&lt;b&gt;" in miss.text


async def _many(world: World, n: int) -> None:
    for i in range(n):
        await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(1000 + i), q(1)),)))


async def test_lists_and_pages(chat: ChatHarness, world: World, lang: str) -> None:
    await _many(world, 12)
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po="PO-2026-00001"))
    approved = await world.approved_po((("B-2", 1, "1"),))  # number 13
    [mine] = await chat.say(BUYER, "/po", lang)
    assert mine.text.count("PO-2026-000") == 10
    assert "PO-2026-00013" in mine.text and "PO-2026-00001" not in mine.text  # newest first
    assert ("Page 1 of 2 · 13 in all" if lang == "en" else "2") in mine.text
    assert [lbl for lbl, _ in mine.buttons()] == ["▶"]
    before = await snapshot(world.db)
    assert await chat.press(BUYER, mine, "▶", lang) == []  # edited in place
    assert mine.edits == 1 and "PO-2026-00001" in mine.text and mine.text.count("PO-2026-000") == 3
    assert [lbl for lbl, _ in mine.buttons()] == ["◀"]
    await chat.press(BUYER, mine, "◀", lang)
    assert "PO-2026-00013" in mine.text
    await unchanged(world, before)

    [pending] = await chat.say(MANAGER, "/po pending", lang)
    assert pending.text.count("PO-2026-000") == 1 and "PO-2026-00001" in pending.text
    [open_] = await chat.say(WAREHOUSE, "/po", lang)  # not a buyer: open ones by default
    assert approved in open_.text and open_.text.count("PO-2026-000") == 1
    [all_] = await chat.say(ADMIN, "/po ALL", lang)
    assert "13" in all_.text and all_.buttons()
    [empty] = await chat.say(VIEWER, "/po mine", lang)
    assert ("Nothing here." if lang == "en" else "这里什么也没有。") in empty.text and empty.buttons() == []
