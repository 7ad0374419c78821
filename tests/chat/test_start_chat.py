"""/start, /help and /cancel; who may talk to the bot at all."""

from __future__ import annotations

from domain import commands as c
from storage.tables import dialogue_state
from tests.chat.harness import ChatHarness
from tests.chat.steps import texts, unchanged
from tests.support import ADMIN, BUYER, MANAGER, VIEWER, World, snapshot

STRANGER = 4242


async def test_start_registered(chat: ChatHarness, lang: str) -> None:
    [reply] = await chat.say(BUYER, "/start", lang)
    assert "Bo" in reply.text
    assert ("buyer" if lang == "en" else "采购") in reply.text
    assert "/help" in reply.text


async def test_unregistered_person_gets_their_id_and_nothing_else(chat: ChatHarness, world: World, lang: str) -> None:
    before = await snapshot(world.db)
    for text in ["/start", "/po new ACME A-1 10", "/stock A-1", "/adjust A-1 +5 x", "hello"]:
        [reply] = await chat.say(STRANGER, text, lang)
        assert str(STRANGER) in reply.text
        assert ("not registered" if lang == "en" else "还没有") in reply.text
        assert "A-1" not in reply.text and "Bolt" not in reply.text
    await unchanged(world, before)


async def test_unregistered_press_is_refused_with_an_alert(chat: ChatHarness, world: World) -> None:
    replies = await chat.say(BUYER, "/po new ACME A-1 10 @2")
    card = replies[-1]
    before = await snapshot(world.db)
    assert await chat.press_data(STRANGER, card, card.buttons()[0][1]) == []
    answer = chat.recorder.answers[-1]
    assert answer.show_alert and str(STRANGER) in (answer.text or "")
    await unchanged(world, before)


async def test_deactivated_person_is_refused(chat: ChatHarness, world: World) -> None:
    await world.do(c.SetUserRoles(actor_id=ADMIN, user_id=VIEWER, roles=("viewer",), active=False))
    fresh = ChatHarness(world)  # the Actor middleware remembers people for a few seconds
    [reply] = await fresh.say(VIEWER, "/start")
    assert "deactivated" in reply.text and str(VIEWER) in reply.text


async def test_help_lists_every_command(chat: ChatHarness, lang: str) -> None:
    [reply] = await chat.say(MANAGER, "/help", lang)
    for command in ["/stock", "/po", "/approvals", "/receive", "/so", "/ship", "/adjust", "/history", "/cancel"]:
        assert command in reply.text
    assert "&lt;sku" in reply.text or "&lt;编码" in reply.text  # placeholders escaped, not tags


async def test_cancel_outside_and_inside_a_dialogue(chat: ChatHarness, world: World, lang: str) -> None:
    [nothing] = await chat.say(BUYER, "/cancel", lang)
    assert nothing.text == ("There is nothing to cancel." if lang == "en" else "当前没有可取消的对话。")
    await chat.say(BUYER, "/po new", lang)
    await chat.say(BUYER, "ACME", lang)
    assert await world.count(dialogue_state) == 1
    [cancelled] = await chat.say(BUYER, "/cancel", lang)
    assert ("Cancelled" if lang == "en" else "已取消") in cancelled.text
    assert await world.count(dialogue_state) == 0
    # The dialogue is gone: a line is no longer taken as one.
    replies = await chat.say(BUYER, "A-1 10", lang)
    assert not any("A-1 ×" in r.text for r in replies), texts(replies)
