"""/supplier and /customer: created guided or in one line, switched off and on; bad values and
people without the right change nothing."""

from __future__ import annotations

from typing import Any

from bot.i18n import t as cli_t
from notifications.i18n import t
from storage.tables import customers, items, purchase_orders, sales_orders, suppliers
from tests.chat.harness import ChatHarness
from tests.chat.steps import texts, unchanged
from tests.support import ADMIN, BUYER, MANAGER, SALES, VIEWER, World, snapshot


async def row(world: World, table: Any, code: str) -> Any:
    async with world.db.reading() as conn:
        return (await conn.execute(table.select().where(table.c.code_key == code.lower()))).first()


async def test_one_line_supplier_with_contacts(chat: ChatHarness, world: World, lang: str) -> None:
    replies = await chat.say(
        MANAGER, "/supplier new foo Foo & Sons 有限公司 currency=usd lead=7 phone=+86-21-5555 email=a@foo.cn chat=@foo", lang
    )

    found = await row(world, suppliers, "FOO")
    assert (found.code, found.name, found.currency, found.lead_time_days) == ("FOO", "Foo & Sons 有限公司", "USD", 7)
    assert (found.phone, found.email, found.chat) == ("+86-21-5555", "a@foo.cn", "@foo")
    assert t(lang, "admin.partner.created", code="FOO") in texts(replies)
    assert "Foo &amp; Sons" in texts(replies)

    # Anyone registered can look the supplier up by its code, in any case; an unknown code is named.
    before = await snapshot(world.db)
    [card] = await chat.say(VIEWER, "/supplier foo", lang)
    assert "Foo &amp; Sons" in card.text and "+86-21-5555" in card.text
    [missing] = await chat.say(VIEWER, "/supplier NOPE", lang)
    assert "NOPE" in missing.text and ("No supplier" in missing.text or "未找到供应商" in missing.text)
    await unchanged(world, before)


async def test_guided_customer_with_defaults(chat: ChatHarness, world: World, lang: str) -> None:
    [ask] = await chat.say(ADMIN, "/customer new", lang)
    assert ask.text.startswith(t(lang, "wizard.customer.code")[:6])
    for answer in ["shop", "BIG", "Big Box Store", "skip", "skip", "not-an-email"]:
        await chat.say(ADMIN, answer, lang)
    [review] = await chat.say(ADMIN, "跳过", lang)
    [hint] = await chat.say(ADMIN, "hello?", lang)

    await chat.press(ADMIN, review, t(lang, "admin.button.create"), lang)

    found = await row(world, customers, "BIG")
    assert (found.name, found.currency, found.email, found.active) == ("Big Box Store", "CNY", None, True)
    assert hint.text == t(lang, "wizard.use_buttons")


async def test_guided_supplier_can_be_cancelled(chat: ChatHarness, world: World) -> None:
    await chat.say(ADMIN, "/supplier new")
    for answer in ["NEW", "New Co", "eur", "x", "3", "skip"]:  # "x" is no lead time
        await chat.say(ADMIN, answer)
    [review] = await chat.say(ADMIN, "skip")
    assert "EUR" in review.text and "3" in review.text

    await chat.press(ADMIN, review, "Cancel")

    assert await row(world, suppliers, "NEW") is None


async def test_deactivated_partners_are_refused_on_new_orders(chat: ChatHarness, world: World, lang: str) -> None:
    [off] = await chat.say(ADMIN, "/supplier off acme", lang)
    await chat.say(ADMIN, "/customer off SHOP", lang)
    counts = [await world.count(table) for table in (purchase_orders, sales_orders, items)]

    [po] = await chat.say(BUYER, "/po new ACME A-1 10", lang)
    [so] = await chat.say(SALES, "/so new SHOP A-1 1", lang)
    [item] = await chat.say(ADMIN, "/item new Q-1 Thing supplier=ACME", lang)
    assert off.text == t(lang, "admin.partner.off", code="ACME", name="Acme Ltd")
    # Refused for the reason that the partner is switched off (not a card that happens to name it),
    # and no order or item was made.
    for reply, reason in ((po, "inactive_supplier"), (so, "inactive_customer"), (item, "inactive_supplier")):
        assert cli_t(lang, f"reason.{reason}") in reply.text, reply.text
        assert reply.buttons() == []
    assert [await world.count(table) for table in (purchase_orders, sales_orders, items)] == counts
    assert (await row(world, suppliers, "ACME")).active is False
    await chat.say(ADMIN, "/supplier on ACME", lang)
    assert (await row(world, suppliers, "ACME")).active is True


async def test_bad_values_get_a_specific_answer_and_change_nothing(chat: ChatHarness, world: World) -> None:
    before = await snapshot(world.db)

    for text, expected in [
        ("/supplier new ACME Again", "already exists"),
        ("/supplier new acme Again", "already exists"),
        ("/customer new SHOP Again", "already exists"),
        ("/supplier new NEW", "is required"),
        ("/supplier new b@d Name", "use 1–32 letters"),
        ("/supplier new NEW Name currency=RMB1", "3-letter currency"),
        ("/supplier new NEW Name email=nobody", "not an e-mail"),
        ("/supplier new NEW Name lead=-1", "whole number"),
        ("/supplier new NEW Name lead=99999", "out of range"),
        ("/customer new NEW Name lead=3", "unknown option"),
        (f"/customer new NEW {'y' * 121}", "is too long"),
        ("/supplier off NOPE", "No supplier “NOPE”"),
        ("/customer on NOPE", "No customer “NOPE”"),
        ("/supplier", "/supplier new"),
        ("/customer explode", "No customer “explode”"),  # a code to look up
        ("/customer explode now", "/customer new"),
    ]:
        [reply] = await chat.say(ADMIN, text)
        assert expected in reply.text, (text, reply.text)

    await unchanged(world, before)


async def test_only_admins_and_managers_create_or_switch_partners(chat: ChatHarness, world: World, lang: str) -> None:
    before = await snapshot(world.db)

    for text in [
        "/supplier new NEW Name",
        "/supplier new",
        "/customer new NEW Name",
        "/customer new",
        "/supplier off ACME",
        "/customer off SHOP",
    ]:
        [reply] = await chat.say(BUYER, text, lang)
        assert ("You may not" if lang == "en" else "您无权") in reply.text, (text, reply.text)

    await unchanged(world, before)
