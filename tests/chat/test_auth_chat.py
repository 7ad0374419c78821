"""Authorisation on the server for every action, forged and outdated buttons."""

from __future__ import annotations

import logging

import pytest
from aiogram.types import ForceReply

from notifications.i18n import t
from tests.chat.harness import ChatHarness, Sent
from tests.chat.steps import LANGS, approval_card, draft, label, so_draft, submitted, texts, unchanged
from tests.support import BUYER, MANAGER, SALES, VIEWER, WAREHOUSE, World, snapshot


def no_failure(replies: list[Sent], caplog: pytest.LogCaptureFixture) -> None:
    for lang in LANGS:
        assert t(lang, "error.generic") not in texts(replies)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.records


async def test_viewer_is_refused_every_change(chat: ChatHarness, world: World, lang: str) -> None:
    await world.stock_in("A-1", 50)
    po = await world.approved_po((("A-1", 10, "1"),))
    so = await world.confirmed_so((("A-1", 5),))
    before = await snapshot(world.db)
    for text in [
        "/po new ACME A-1 10",
        "/po new",
        f"/receive {po} all",
        f"/receive {po} A-1 1",
        f"/ship {so} all",
        "/so new SHOP A-1 1",
        "/adjust A-1 +5 found",
        "/adjust A-1 =0 count",
    ]:
        [reply] = await chat.say(VIEWER, text, lang)
        assert ("You may not" if lang == "en" else "您无权") in reply.text, (text, reply.text)
    await unchanged(world, before)


async def test_other_roles_are_refused_what_is_not_theirs(chat: ChatHarness, world: World) -> None:
    await world.stock_in("A-1", 50)
    po = await world.approved_po((("A-1", 10, "1"),))
    so = await world.confirmed_so((("A-1", 5),))
    before = await snapshot(world.db)
    for user, text in [
        (SALES, "/po new ACME A-1 10"),
        (SALES, f"/receive {po} all"),
        (BUYER, f"/ship {so} all"),
        (BUYER, "/so new SHOP A-1 1"),
        (WAREHOUSE, "/po new ACME A-1 10"),
        (SALES, "/adjust A-1 +1 x"),
    ]:
        [reply] = await chat.say(user, text)
        assert "You may not" in reply.text, (user, text, reply.text)
    await unchanged(world, before)


async def test_forged_buttons_of_people_without_the_role(
    chat: ChatHarness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    number, card = await submitted(chat)
    approval = await approval_card(chat)
    ok, no = (data for _, data in approval.buttons())
    _, draft_card = await draft(chat)
    sub = draft_card.buttons()[0][1]
    so_number, so_card = await so_draft(chat)
    before = await snapshot(world.db)
    replies: list[Sent] = []
    for user, on, data in [
        (VIEWER, approval, ok),  # a viewer approving
        (BUYER, approval, ok),  # a buyer approving someone else's PO
        (WAREHOUSE, approval, ok),
        (VIEWER, draft_card, sub),  # a viewer submitting a draft
        (SALES, draft_card, sub),
        (WAREHOUSE, draft_card, draft_card.buttons()[-1][1]),  # discarding someone's draft
        (BUYER, so_card, so_card.buttons()[0][1]),  # a buyer confirming an SO
        (VIEWER, card, f"o:p:{number}:1:rcv"),  # receiving a pending PO
        (SALES, approval, f"o:p:{number}:1:rcv"),
    ]:
        got = await chat.press_data(user, on, data)
        assert got and ("You may not" in got[-1].text or "cannot" in got[-1].text), (user, data, texts(got))
        replies += got
    await unchanged(world, before)
    assert (await world.po(number)).status.value == "pending_approval"
    assert (await world.so(so_number)).status.value == "draft"
    # A rejection reason typed by someone who may not reject changes nothing either.
    # Nor is anyone who may not reject asked for a reason.
    pressed = await chat.press_data(VIEWER, approval, no)
    assert "You may not" in pressed[-1].text and not isinstance(pressed[-1].raw_markup, ForceReply)
    replies += pressed
    assert (await world.po(number)).status.value == "pending_approval"
    no_failure(replies, caplog)


async def test_forged_and_malformed_callbacks_change_nothing(
    chat: ChatHarness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    number, card = await submitted(chat)
    before, edits = await snapshot(world.db), card.edits
    replies: list[Sent] = []
    for data in [
        "o:p:PO-2026-09999:0:ok",  # no such PO
        "o:s:SO-2026-09999:0:cf",
        f"o:p:{number}:1:zz",  # no such action
        f"o:x:{number}:1:ok",  # no such kind
        f"o:p:{number}:abc:ok",  # version not a number
        "o:p",
        "garbage",
        "",
        "l:po:evil:0",  # a list page with a bogus scope
        "l:zz:all:0",
        "l:po:all:notanumber",
        "i:",
    ]:
        replies += await chat.press_data(MANAGER, card, data)
    await unchanged(world, before)
    assert (await world.po(number)).status.value == "pending_approval"
    assert card.edits == edits  # nothing drew on the buyer's card
    no_failure(replies, caplog)


async def test_list_page_far_away_or_negative_is_harmless(
    chat: ChatHarness, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await draft(chat)
    [shown] = await chat.say(BUYER, "/po mine")
    replies = await chat.press_data(BUYER, shown, "l:po:mine:-5")
    replies += await chat.press_data(BUYER, shown, "l:po:mine:99999")
    no_failure(replies, caplog)


async def test_outdated_button_changes_nothing_and_redraws_the_card(
    chat: ChatHarness, world: World, lang: str, caplog: pytest.LogCaptureFixture
) -> None:
    number, card = await draft(chat, "A-1 100 @20", lang)
    old_submit, old_discard = card.buttons()[0][1], card.buttons()[-1][1]
    stale = Sent(card.chat_id, card.message_id, card.text, card.markup)  # what an old copy carries
    await chat.press(BUYER, card, label(lang, "submit"), lang)
    before = await snapshot(world.db)
    [note] = await chat.press_data(BUYER, stale, old_discard, lang)
    assert number in note.text
    assert (await world.po(number)).status.value == "pending_approval"
    assert ("waiting for approval" if lang == "en" else "待审批") in card.text  # redrawn as it is now
    await chat.press_data(BUYER, stale, old_submit, lang)
    await unchanged(world, before)
    # An approval button from before a revision is outdated too.
    approval = await approval_card(chat, MANAGER, lang)
    old_ok = approval.buttons()[0][1]
    await chat.press(MANAGER, approval, label(lang, "reject"), lang)
    await chat.say(MANAGER, "no", lang)
    await chat.press(BUYER, card, label(lang, "revise"), lang)
    await chat.press(BUYER, card, label(lang, "submit"), lang)
    before = await snapshot(world.db)
    await chat.press_data(MANAGER, approval, old_ok, lang)
    await unchanged(world, before)
    assert (await world.po(number)).status.value == "pending_approval"
    assert approval.buttons()[0][1] != old_ok  # the card now carries the current version
    no_failure([], caplog)
