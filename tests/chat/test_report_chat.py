"""/report through the dispatcher: typing, the digest, the chart; the "draft PO" button; who may."""

from __future__ import annotations

from aiogram.methods import SendChatAction, SendMessage, SendPhoto

from notifications.buttons import draft_po_data
from storage.tables import po_lines, purchase_orders
from tests.chat.harness import ChatHarness
from tests.support import BUYER, MANAGER, SALES, VIEWER, WAREHOUSE, World, snapshot


async def test_report_shows_typing_then_the_digest_and_the_chart(chat: ChatHarness, world: World, lang: str) -> None:
    await world.stock_in("B-2", 7)
    before = len(chat.recorder.calls)

    texts = await chat.say(MANAGER, "/report", lang)

    calls = chat.recorder.calls[before:]
    assert isinstance(calls[0], SendChatAction) and calls[0].action == "typing"
    assert [type(c) for c in calls[1:]] == [SendMessage] * len(texts) + [SendPhoto]
    photo = calls[-1]
    assert isinstance(photo, SendPhoto) and photo.chat_id == MANAGER
    assert photo.caption is not None and len(photo.caption) <= 1024
    assert photo.photo.data.startswith(b"\x89PNG")  # type: ignore[union-attr]
    body = "\n".join(s.text for s in texts)
    assert ("Below the reorder point (1)" if lang == "en" else "低于再订货点（1）") in body  # nothing of 20
    assert texts[-1].buttons() == [("📝 Draft PO: A-1 × 50" if lang == "en" else "📝 起草采购单：A-1 × 50", "dpo:A-1")]


async def test_draft_po_button_puts_the_suggestion_on_the_suppliers_draft(chat: ChatHarness, world: World, lang: str) -> None:
    texts = await chat.say(BUYER, "/report", lang)

    replies = await chat.press(BUYER, texts[-1], "A-1", lang)

    note, card = replies
    assert "PO-" in note.text and "A-1" in card.text and "50" in card.text
    assert any(data.startswith("o:p:") for _, data in card.buttons())  # the draft's own buttons: submit, edit
    again = await chat.press(BUYER, texts[-1], "A-1", lang)  # a second tap: still one draft of 50
    assert again[1].text == card.text
    assert await world.count(purchase_orders) == 1
    assert await world.count(po_lines) == 1
    async with world.db.reading() as conn:
        assert (await conn.execute(po_lines.select())).one().qty == 50


async def test_report_and_draft_are_for_purchasing_roles_only(chat: ChatHarness, world: World, lang: str) -> None:
    allowed = await chat.say(BUYER, "/report", lang)
    before = await snapshot(world.db)

    for user in (WAREHOUSE, SALES, VIEWER):
        [refusal] = await chat.say(user, "/report", lang)
        assert ("managers, buyers and admins" if lang == "en" else "经理、采购员和管理员") in refusal.text
        assert refusal.buttons() == []
        await chat.press_data(user, allowed[-1], draft_po_data("A-1"), lang)  # someone else's button
    await chat.press_data(BUYER, allowed[-1], "dpo:A-1\nx", lang)  # forged payloads do nothing
    await chat.press_data(BUYER, allowed[-1], draft_po_data("NOPE"), lang)

    assert await snapshot(world.db) == before
    assert not any(isinstance(c, SendPhoto) and c.chat_id != BUYER for c in chat.recorder.calls)
