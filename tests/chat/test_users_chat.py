"""/users: admins list people, register them (one line, or a forwarded message and role buttons),
change roles and deactivate; the new person is greeted; nobody else may touch any of it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.exceptions import TelegramForbiddenError, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import SendMessage
from aiogram.types import Chat, Message, MessageOriginHiddenUser, MessageOriginUser, Update, User

from bot.callbacks import UserAct
from domain import commands as c
from domain.master import Role
from notifications.i18n import t
from storage.tables import users
from tests.chat.group import in_group, untouched
from tests.chat.harness import ChatHarness, Sent
from tests.chat.steps import texts, unchanged
from tests.support import ADMIN, BUYER, MANAGER, VIEWER, World, snapshot

NEW = 5001
OTHER_ADMIN = 5002


async def person(world: World, user_id: int) -> Any:
    async with world.db.reading() as conn:
        return (await conn.execute(users.select().where(users.c.id == user_id))).first()


async def forward(chat: ChatHarness, origin: Any, lang: str) -> list[Sent]:
    message = Message(
        message_id=next(chat.message_ids),
        date=datetime.now(UTC),
        chat=Chat(id=ADMIN, type="private"),
        from_user=User(id=ADMIN, is_bot=False, first_name="Ada", language_code=lang),
        forward_origin=origin,
        text="hi, please add me",
    )
    return await chat.feed(Update(update_id=next(chat.update_ids), message=message))


def role_label(lang: str, role: str) -> str:
    return t(lang, f"role.{role}")


async def test_admin_sees_everyone_with_their_roles(chat: ChatHarness, lang: str) -> None:
    [reply] = await chat.say(ADMIN, "/users", lang)

    assert "Bo" in reply.text and role_label(lang, "buyer") in reply.text and "1004" in reply.text
    assert len(reply.buttons()) == 7
    [card] = await chat.press(ADMIN, reply, "Bo", lang)
    assert "1004" in card.text and role_label(lang, "buyer") in card.text


async def test_a_long_list_pages(chat: ChatHarness, world: World) -> None:
    for uid in range(2001, 2006):
        await world.do(c.RegisterUser(actor_id=ADMIN, user_id=uid, name=f"P{uid}", roles=("viewer",)))
    [first] = await chat.say(ADMIN, "/users")
    assert "P2003" in first.text and "P2004" not in first.text

    await chat.press(ADMIN, first, "▶")

    assert "P2004" in first.text and "Ada" not in first.text and first.edits == 1


async def test_one_line_registration_greets_the_person_in_their_language(chat: ChatHarness, world: World, lang: str) -> None:
    replies = await chat.say(ADMIN, f"/users add {NEW} Li <Lei> & Co buyer 销售 lang=zh", lang)

    row = await person(world, NEW)
    assert (row.name, row.roles, row.language, row.active) == ("Li <Lei> & Co", "buyer,sales", "zh", True)
    [greeting] = [s for s in replies if s.chat_id == NEW]
    assert "欢迎使用采销，Li &lt;Lei&gt; &amp; Co" in greeting.text and "Ada" in greeting.text
    assert t(lang, "admin.user.greeted") in texts(replies)
    [start] = await chat.say(NEW, "/start", "zh")
    assert "Li &lt;Lei&gt;" in start.text


async def test_a_refused_greeting_is_reported_and_the_registration_stands(
    chat: ChatHarness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = chat.recorder.make_request

    async def never_started(bot: Any, method: Any, timeout: Any = None) -> Any:  # noqa: ASYNC109
        if isinstance(method, SendMessage) and method.chat_id == NEW:
            raise TelegramForbiddenError(method, "Forbidden: bot can't initiate conversation with a user")
        return await real(bot, method, timeout)

    monkeypatch.setattr(chat.recorder, "make_request", never_started)

    replies = await chat.say(ADMIN, f"/users add {NEW} Li buyer")

    assert t("en", "admin.user.not_greeted") in texts(replies)
    assert (await person(world, NEW)).roles == "buyer"


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        (lambda m: TelegramRetryAfter(m, "Too Many Requests: retry after 30", 30), "admin.user.not_greeted_busy"),
        (lambda m: TelegramServerError(m, "Internal Server Error"), "admin.user.not_greeted_failed"),
        (lambda m: TelegramNetworkError(m, "Request timeout error"), "admin.user.not_greeted_failed"),
    ],
    ids=["retry_after", "server_error", "network_error"],
)
async def test_a_greeting_lost_to_telegram_or_the_network_still_reports_the_registration(
    chat: ChatHarness, world: World, monkeypatch: pytest.MonkeyPatch, failure: Any, said: str
) -> None:
    """These used to surface after the registration had committed: the admin read "something went
    wrong", and a retry "already exists"."""
    real = chat.recorder.make_request

    async def lost(bot: Any, method: Any, timeout: Any = None) -> Any:  # noqa: ASYNC109
        if isinstance(method, SendMessage) and method.chat_id == NEW:
            raise failure(method)
        return await real(bot, method, timeout)

    monkeypatch.setattr(chat.recorder, "make_request", lost)

    replies = await chat.say(ADMIN, f"/users add {NEW} Li buyer")

    said_text = texts(replies)
    assert t("en", "admin.user.added", name="Li", id=NEW, roles="buyer") in said_text and t("en", said) in said_text
    assert t("en", "error.generic") not in said_text
    assert (await person(world, NEW)).roles == "buyer"


async def test_an_admin_cannot_use_or_strip_another_admins_role_picker(chat: ChatHarness, world: World, lang: str) -> None:
    """In a group, one admin's press on another's picker used to find no dialogue of theirs and
    remove the picker; with a picker of their own for the same person, it registered theirs."""
    await world.do(c.RegisterUser(actor_id=ADMIN, user_id=OTHER_ADMIN, name="Oz", roles=("admin",)))
    await in_group(chat, ADMIN, "/users add", lang)
    [mine] = await in_group(chat, ADMIN, f"{NEW} Li Lei", lang)
    await chat.press(ADMIN, mine, role_label(lang, "buyer"), lang)
    before = await snapshot(world.db)
    for label in (role_label(lang, "sales"), t(lang, "admin.button.register"), t(lang, "admin.button.drop")):
        assert await chat.press(OTHER_ADMIN, mine, label, lang) == []  # no dialogue of theirs
        assert chat.recorder.answers[-1].text == t(lang, "admin.user.picker_gone")
    await unchanged(world, before)

    await in_group(chat, OTHER_ADMIN, "/users add", lang)
    [theirs] = await in_group(chat, OTHER_ADMIN, f"{NEW} Li Lei", lang)  # the same person, picked by both
    before = await snapshot(world.db)
    assert await chat.press(OTHER_ADMIN, mine, t(lang, "admin.button.register"), lang) == []
    assert await chat.press(ADMIN, theirs, t(lang, "admin.button.register"), lang) == []

    await unchanged(world, before)
    assert untouched(mine, edits=1) and untouched(theirs)
    await chat.press(ADMIN, mine, t(lang, "admin.button.register"), lang)
    assert (await person(world, NEW)).roles == "buyer" and mine.buttons() == []


async def test_forwarded_message_then_roles_on_buttons(chat: ChatHarness, world: World, lang: str) -> None:
    [ask] = await chat.say(ADMIN, "/users add", lang)
    assert ask.text == t(lang, "admin.user.ask_who")
    sender = User(id=NEW, is_bot=False, first_name="Han", last_name="Mei", language_code="en")

    [picker] = await forward(chat, MessageOriginUser(date=datetime.now(UTC), sender_user=sender), lang)
    await chat.press(ADMIN, picker, role_label(lang, "warehouse"), lang)
    await chat.press(ADMIN, picker, role_label(lang, "sales"), lang)
    await chat.press(ADMIN, picker, role_label(lang, "sales"), lang)  # ticked, then unticked
    assert "☑ " + role_label(lang, "warehouse") in [label for label, _ in picker.buttons()]
    replies = await chat.press(ADMIN, picker, t(lang, "admin.button.register"), lang)

    row = await person(world, NEW)
    assert (row.name, row.roles, row.language) == ("Han Mei", "warehouse", "en")
    assert any(s.chat_id == NEW and "Welcome to Caixiao, Han Mei" in s.text for s in replies)
    assert picker.buttons() == []  # no stale picker left behind
    assert await chat.press_data(ADMIN, picker, UserAct(act="reg", uid=NEW, roles=1, was=-1).pack(), lang) == []
    assert chat.recorder.answers[-1].text == t(lang, "admin.user.picker_gone")
    assert (await person(world, NEW)).roles == "warehouse"


async def test_hidden_sender_or_typed_id_in_the_guided_registration(chat: ChatHarness, world: World) -> None:
    await chat.say(ADMIN, "/users add")

    [hidden] = await forward(chat, MessageOriginHiddenUser(date=datetime.now(UTC), sender_user_name="Secret"), "en")
    [bad] = await chat.say(ADMIN, "12ab Li")
    [picker] = await chat.say(ADMIN, f"{NEW} Li Lei")
    await chat.press(ADMIN, picker, "buyer")
    await chat.press(ADMIN, picker, "✖️")

    assert hidden.text == t("en", "admin.user.hidden")
    assert "user id" in bad.text and "12ab" in bad.text
    assert await person(world, NEW) is None


async def test_roles_and_deactivation_by_buttons_count_at_once(chat: ChatHarness, world: World) -> None:
    [stock] = await chat.say(BUYER, "/stock A-1")  # the bot now remembers Bo as active
    assert "A-1" in stock.text
    [card] = await chat.say(ADMIN, "/users 1004")

    await chat.press(ADMIN, card, "sales")
    assert (await person(world, BUYER)).roles == "buyer,sales"
    await chat.press(ADMIN, card, "Deactivate")
    [refused] = await chat.say(BUYER, "/stock A-1")
    await chat.press(ADMIN, card, "Reactivate")
    [back] = await chat.say(BUYER, "/stock A-1")

    assert refused.text == t("en", "access.inactive", id=BUYER)
    assert "A-1" in back.text
    assert (await person(world, BUYER)).active is True


async def test_a_card_drawn_before_another_change_is_redrawn_not_applied(chat: ChatHarness, world: World) -> None:
    [first] = await chat.say(ADMIN, "/users 1004")
    [second] = await chat.say(ADMIN, "/users 1004")
    await chat.press(ADMIN, first, "sales")

    replies = await chat.press(ADMIN, second, "viewer")

    assert (await person(world, BUYER)).roles == "buyer,sales"
    assert t("en", "admin.user.changed", name="Bo") in texts(replies)
    assert "☑ sales" in [label for label, _ in second.buttons()]


async def test_a_double_tap_on_a_role_applies_once_and_leaves_the_card_as_it_is(chat: ChatHarness, world: World) -> None:
    [card] = await chat.say(ADMIN, "/users 1004")
    tap = next(d for label, d in card.buttons() if "sales" in label)
    await chat.press_data(ADMIN, card, tap)
    drawn = (card.text, card.buttons())

    again = await chat.press_data(ADMIN, card, tap)  # the same button, pressed before the redraw arrived

    assert (await person(world, BUYER)).roles == "buyer,sales"
    assert texts(again) == t("en", "admin.user.changed", name="Bo")
    assert (card.text, card.buttons()) == drawn


async def test_one_line_roles_off_and_on(chat: ChatHarness, world: World, lang: str) -> None:
    await chat.say(ADMIN, "/users roles 1004 +sales -buyer +viewer", lang)
    assert (await person(world, BUYER)).roles == "sales,viewer"
    await chat.say(ADMIN, "/users roles 1004 buyer,manager", lang)
    assert (await person(world, BUYER)).roles == "buyer,manager"

    [said, _] = await chat.say(ADMIN, "/users off 1004", lang)
    assert said.text == t(lang, "admin.user.done_off", name="Bo", id=BUYER)
    assert (await person(world, BUYER)).active is False
    [refused] = await ChatHarness(world).say(BUYER, "/po", lang)
    assert refused.text == t(lang, "access.inactive", id=BUYER)
    await chat.say(ADMIN, "/users on 1004", lang)
    assert (await person(world, BUYER)).active is True


async def test_bad_input_gets_a_specific_answer_and_changes_nothing(chat: ChatHarness, world: World) -> None:
    before = await snapshot(world.db)

    for text, expected in [
        ("/users add 12ab Li buyer", "not a Telegram user id"),
        ("/users add 5001 Li chef", "roles “”: is required"),  # "chef" is no role, so it is part of the name
        ("/users add 5001 buyer", "name “”: is required"),
        ("/users add 1004 Bo buyer", "already exists"),
        (f"/users add 5001 {'x' * 65} buyer", "is too long"),
        ("/users add 5001 Li buyer lang=fr", "use zh or en"),
        ("/users add 5001 Li buyer color=red", "unknown option"),
        ("/users roles 1004 chef", "unknown role"),
        ("/users roles 1004 -buyer", "is required"),
        ("/users off 424242", "No user"),
        ("/users off", "not a Telegram user id"),
        ("/users off 1001", "another admin can"),
        ("/users roles 1001 buyer", "another admin can"),
        ("/users whatever", "/users add"),
    ]:
        [reply] = await chat.say(ADMIN, text)
        assert expected in reply.text, (text, reply.text)

    await unchanged(world, before)


async def test_nobody_but_an_admin_may_touch_users(chat: ChatHarness, world: World, lang: str) -> None:
    [card] = await chat.say(ADMIN, "/users 1004", lang)
    before = await snapshot(world.db)

    for text in [
        "/users",
        "/users 1004",
        f"/users add {NEW} Li buyer",
        "/users add",
        "/users off 1004",
        "/users roles 1004 admin",
    ]:
        [reply] = await chat.say(MANAGER, text, lang)
        assert ("You may not" if lang == "en" else "您无权") in reply.text, (text, reply.text)
    forged = UserAct(act="role", uid=BUYER, roles=1 << list(Role).index(Role.ADMIN), was=4 | 64).pack()
    [refused] = await chat.press_data(MANAGER, card, forged, lang)
    assert ("You may not" if lang == "en" else "您无权") in refused.text

    await unchanged(world, before)


async def test_deactivated_admin_is_refused_like_a_stranger(chat: ChatHarness, world: World) -> None:
    await chat.say(ADMIN, f"/users add {NEW} Eve admin")
    await chat.say(NEW, "/users")
    await chat.say(ADMIN, f"/users off {NEW}")
    before = await snapshot(world.db)

    for text in ["/users", f"/users on {NEW}", "/item new Q-1 Thing", "/settings"]:
        [reply] = await chat.say(NEW, text)
        assert reply.text == t("en", "access.inactive", id=NEW)

    await unchanged(world, before)
    assert (await person(world, VIEWER)).active is True
