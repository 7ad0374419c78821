"""Hostile text never breaks a message: HTML, &, emoji, right-to-left, 5,000 characters.

The Recorder checks every message the bot sends: Telegram's HTML rules, 4096 visible characters,
64-byte callback data. Here the text comes from the people and the master data."""

from __future__ import annotations

import logging

import pytest

from domain import commands as c
from notifications.i18n import t
from tests.chat.harness import ChatHarness, Sent
from tests.chat.steps import approval_card, label, submitted, texts
from tests.support import ADMIN, BUYER, MANAGER, SALES, WAREHOUSE, World, q

NASTY = "<b>Bold</b> & </i> <script>alert(1)</script> &amp; 😀 שלום עולם ‮RTL‬ 螺丝"
LONG = "长" * 2500 + "x<&>" * 625  # 5,000 characters


def fine(replies: list[Sent], caplog: pytest.LogCaptureFixture) -> None:
    for lang in ("en", "zh"):
        assert t(lang, "error.generic") not in texts(replies), texts(replies)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_html_emoji_and_rtl_in_names(chat: ChatHarness, world: World, caplog: pytest.LogCaptureFixture) -> None:
    await world.do(c.CreateItem(actor_id=ADMIN, sku="H-1", name=NASTY, reorder_point=q(1), reorder_qty=q(1)))
    await world.do(c.CreatePartner(actor_id=ADMIN, kind="supplier", code="EVIL", name=NASTY, lead_time_days=1))
    await world.do(c.CreatePartner(actor_id=ADMIN, kind="customer", code="EVILC", name=NASTY))
    await world.do(c.RegisterUser(actor_id=ADMIN, user_id=2001, name="<b>Bo</b> & 😀 ש", roles=("buyer",)))
    replies = await chat.say(WAREHOUSE, "/stock H-1")
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;/i&gt; &lt;script&gt;" in replies[0].text
    assert "😀" in replies[0].text and "שלום" in replies[0].text
    replies += await chat.say(WAREHOUSE, "/stock script")  # one hit by words
    replies += await chat.say(2001, "/start")
    assert "&lt;b&gt;Bo&lt;/b&gt; &amp; 😀" in replies[-1].text
    replies += await chat.say(2001, "/po new EVIL H-1 5 @1 A-1 1")
    card = replies[-1]
    assert "&lt;script&gt;" in card.text and "PO-2026-00001" in card.text
    replies += await chat.press(2001, card, "Submit")
    replies += await chat.say(SALES, "/so new EVILC H-1 1")
    replies += await chat.say(BUYER, "/po all")
    replies += await chat.say(BUYER, "/history PO-2026-00001")
    fine(replies, caplog)


async def test_hostile_words_typed_by_people(chat: ChatHarness, world: World, caplog: pytest.LogCaptureFixture) -> None:
    replies: list[Sent] = []
    for text in [
        f"/stock {NASTY}",
        f"/po {NASTY}",
        f"/so {NASTY}",
        f"/history {NASTY}",
        f"/po new {NASTY}",
        f"/po new ACME {NASTY}",
        f"/po new ACME A-1 {NASTY}",
        f"/receive {NASTY}",
        f"/ship {NASTY} all via <b> &",
        f"/adjust {NASTY}",
        "/adjust A-1 +1 <i>oops</b> & 😀",
    ]:
        got = await chat.say(WAREHOUSE if "adjust" in text else BUYER, text)
        assert got, text
        replies += got
    assert "&lt;i&gt;oops&lt;/b&gt; &amp; 😀" in replies[-1].text
    fine(replies, caplog)


async def test_five_thousand_characters_anywhere(chat: ChatHarness, world: World, caplog: pytest.LogCaptureFixture) -> None:
    replies: list[Sent] = []
    for user, text in [
        (BUYER, f"/stock {LONG}"),
        (BUYER, f"/po {LONG}"),
        (BUYER, f"/history {LONG}"),
        (BUYER, f"/po new {LONG}"),
        (BUYER, f"/po new ACME {LONG} 1"),
        (BUYER, f"/po new ACME A-1 {LONG}"),
        (BUYER, f"/po new ACME A-1 1 by {LONG}"),
        (WAREHOUSE, f"/receive {LONG} all"),
        (WAREHOUSE, f"/adjust {LONG} +1 x"),
        (WAREHOUSE, f"/adjust A-1 {LONG}"),
    ]:
        got = await chat.say(user, text)
        assert got, text[:30]
        replies += got
    # In a dialogue too.
    await chat.say(BUYER, "/po new")
    replies += await chat.say(BUYER, LONG)
    await chat.say(BUYER, "ACME")
    replies += await chat.say(BUYER, f"A-1 {LONG}")
    replies += await chat.say(BUYER, f"{LONG} 1")
    await chat.say(BUYER, "/cancel")
    fine(replies, caplog)


async def test_five_thousand_character_adjust_reason(chat: ChatHarness, world: World, caplog: pytest.LogCaptureFixture) -> None:
    replies = await chat.say(WAREHOUSE, f"/adjust A-1 +1 {LONG}")
    assert len(replies) == 1
    fine(replies, caplog)


async def test_five_thousand_character_reject_reason(chat: ChatHarness, world: World, caplog: pytest.LogCaptureFixture) -> None:
    number, card = await submitted(chat)
    approval = await approval_card(chat)
    await chat.press(MANAGER, approval, label("en", "reject"))
    replies = await chat.say(MANAGER, LONG)
    po = await world.po(number)
    if po.status.value == "rejected":  # accepted (and clipped on the cards) ...
        assert "长长长" in card.text
    else:  # ... or refused politely
        assert po.status.value == "pending_approval" and replies
    fine(replies, caplog)


async def test_callback_data_fits_for_the_longest_sku_and_numbers(chat: ChatHarness, world: World) -> None:
    longest = "Z" * 31 + "9"  # 32 characters, the longest a code may be
    twin = "Z" * 31 + "8"
    for sku in (longest, twin):
        await world.do(c.CreateItem(actor_id=ADMIN, sku=sku, name="长名字" * 30, reorder_point=q(1), reorder_qty=q(1)))
    [miss] = await chat.say(WAREHOUSE, "/stock 长名字")
    assert {data for _, data in miss.buttons()} == {f"i:{longest}", f"i:{twin}"}
    [card] = await chat.press(WAREHOUSE, miss, longest)
    assert longest in card.text
    # A PO card late in its life: its version grows with every decision; the data still fits.
    number, po_card = await submitted(chat, f"{longest} 1000 @20")
    for _ in range(3):
        approval = await approval_card(chat, MANAGER)
        await chat.press(MANAGER, approval, "Reject")
        await chat.say(MANAGER, "again")
        await chat.press(BUYER, po_card, "Revise")
        await chat.press(BUYER, po_card, "Submit")
    data = [d for _, d in (await approval_card(chat, MANAGER)).buttons()]
    assert data and all(len(d.encode()) <= 64 for d in data)
    assert number in data[0]
