"""/item: the card, creating items (guided and in one line), editing by button or one line,
deactivating; bad values and people without the right are refused and change nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.callbacks import ItemAct, WizardStep
from bot.i18n import t as bot_t
from domain import commands as c
from domain.master import Item
from domain.readmodels import StockCard, WarehouseStock
from notifications.i18n import t
from notifications.render import Renderer
from storage.tables import items
from tests.chat.group import in_group, untouched
from tests.chat.harness import ChatHarness, Sent
from tests.chat.steps import is_force_reply, texts, unchanged
from tests.support import ADMIN, BUYER, MANAGER, VIEWER, World, snapshot


async def item(world: World, sku: str) -> Any:
    async with world.db.reading() as conn:
        return (await conn.execute(items.select().where(items.c.sku_key == sku.lower()))).first()


def refused(lang: str) -> str:
    return "You may not" if lang == "en" else "您无权"


async def test_card_shows_master_data_and_edit_buttons_to_editors_only(chat: ChatHarness, lang: str) -> None:
    [card] = await chat.say(MANAGER, "/item a-1", lang)
    [plain] = await chat.say(BUYER, "/item A-1", lang)

    assert t(lang, "admin.item.reorder_point", value=20) in card.text
    assert t(lang, "admin.item.supplier", value="ACME") in card.text
    assert t(lang, "admin.item.reorder_qty", value=50) in card.text
    assert t(lang, "admin.button.item_rop") in [label for label, _ in card.buttons()]
    assert plain.text == card.text and plain.buttons() == []


async def test_one_line_new_item_with_every_option(chat: ChatHarness, world: World, lang: str) -> None:
    replies = await chat.say(
        ADMIN, "/item new Z-9 Widget 大号 <b> unit=box rop=10 max=50 qty=20 pack=5 supplier=acme lead=7", lang
    )

    row = await item(world, "Z-9")
    assert (row.name, row.unit, row.lead_time_days) == ("Widget 大号 <b>", "box", 7)
    assert (row.reorder_point, row.max_qty, row.reorder_qty, row.pack_size) == (10, 50, 20, 5)
    assert "Widget 大号 &lt;b&gt;" in replies[-1].text
    assert t(lang, "admin.item.created", sku="Z-9") in texts(replies)


async def test_guided_new_item_asks_again_after_a_bad_answer(chat: ChatHarness, world: World, lang: str) -> None:
    await chat.say(MANAGER, "/item new", lang)
    # A-1 exists; -3 is negative; a max of 5 is below the reorder point of 12
    for answer in ["A-1", "Q-1", "Spring", "skip", "-3", "12", "5", "30", "skip"]:
        await chat.say(MANAGER, answer, lang)
    [bad_supplier] = await chat.say(MANAGER, "NOPE", lang)
    [review] = await chat.say(MANAGER, "ACME", lang)
    assert await item(world, "Q-1") is None

    replies = await chat.press(MANAGER, review, t(lang, "admin.button.create"), lang)

    row = await item(world, "Q-1")
    assert (row.name, row.unit, row.reorder_point, row.max_qty, row.pack_size, row.active) == ("Spring", "pcs", 12, 30, 1, True)
    assert "NOPE" in bad_supplier.text
    assert "Q-1" in texts(replies) and review.buttons() == []
    # a second tap: said in a toast, and nothing more is created
    assert await chat.press_data(MANAGER, review, WizardStep(what="item", act="ok", n="0").pack(), lang) == []
    assert chat.recorder.answers[-1].text == t(lang, "wizard.gone") and await world.count(items) == 4


async def test_edit_reorder_point_by_button_and_a_stale_card(chat: ChatHarness, world: World, lang: str) -> None:
    [card] = await chat.say(ADMIN, "/item A-1", lang)
    [prompt] = await chat.press(ADMIN, card, t(lang, "admin.button.item_rop"), lang)
    assert is_force_reply(prompt) and "20" in prompt.text

    [bad] = await chat.say(ADMIN, "-5", lang)
    replies = await chat.say(ADMIN, "35", lang)

    assert "-5" in bad.text
    assert (await item(world, "A-1")).reorder_point == 35
    assert t(lang, "admin.item.reorder_point", value=35) in texts(replies)
    await chat.press(ADMIN, card, t(lang, "admin.button.item_max"), lang)  # the card shows version 0
    [outdated] = await chat.say(ADMIN, "99", lang)
    assert (await item(world, "A-1")).max_qty is None
    assert "A-1" in outdated.text


async def test_one_line_edits_and_deactivation(chat: ChatHarness, world: World) -> None:
    await chat.say(ADMIN, "/item A-1 set name Hex bolt M8")
    await chat.say(ADMIN, "/item A-1 set max 100")
    await chat.say(ADMIN, "/item A-1 set pack 10")
    await chat.say(ADMIN, "/item A-1 set qty 40")
    await chat.say(ADMIN, "/item A-1 set rop 1,000")  # above the max
    off = (await chat.say(MANAGER, "/item A-1 off"))[-1]

    row = await item(world, "A-1")
    assert (row.name, row.max_qty, row.pack_size, row.reorder_qty, row.reorder_point, row.active) == (
        "Hex bolt M8",
        100,
        10,
        40,
        20,
        False,
    )
    await chat.press(MANAGER, off, "Reactivate")
    assert (await item(world, "A-1")).active is True
    assert off.buttons()[-1][0] == t("en", "admin.button.item_off")

    # The optional max and default supplier can be emptied again; a reorder point cannot.
    await chat.say(ADMIN, "/item A-1 set max none")
    await chat.say(ADMIN, "/item A-1 set supplier 无")
    [refused] = await chat.say(ADMIN, "/item A-1 set rop none")
    row = await item(world, "A-1")
    assert (row.max_qty, row.default_supplier_id, row.reorder_point) == (None, None, 20)
    assert "not a number" in refused.text


async def test_bad_values_get_a_specific_answer_and_change_nothing(chat: ChatHarness, world: World) -> None:
    before = await snapshot(world.db)

    for text, expected in [
        ("/item new bad/sku Name", "use 1–32 letters"),
        ("/item new A-1 Duplicate", "already exists"),
        ("/item new a-1 Duplicate", "already exists"),
        ("/item new Q-1", "is required"),
        (f"/item new Q-1 {'x' * 121}", "is too long"),
        ("/item new Q-1 Name supplier=NOPE", "No supplier “NOPE”"),
        ("/item new Q-1 Name rop=-5", "must be more than zero"),
        ("/item new Q-1 Name pack=0", "must be more than zero"),
        ("/item new Q-1 Name rop=abc", "not a number"),
        ("/item new Q-1 Name rop=99999999999", "too large"),
        ("/item new Q-1 Name rop=10 max=5", "below the reorder point"),
        ("/item new Q-1 Name colour=red", "unknown option"),
        ("/item new Q-1 Name rop=1 rop=2", "given twice"),
        ("/item new Q-1 Name lead=4000", "out of range"),
        ("/item A-1 set rop abc", "not a number"),
        ("/item A-1 set pack 0", "must be more than zero"),
        ("/item A-1 set colour red", "unknown field"),
        ("/item A-1 set rop", "set rop 20"),
        ("/item A-1 set max 5", "below the reorder point"),
        ("/item A-1 set supplier NOPE", "No supplier"),
        ("/item A-1 explode", "/item <sku>"),
        ("/item NOPE", "No item “NOPE”"),
        ("/item", "/item new"),
    ]:
        [reply] = (await chat.say(ADMIN, text))[-1:]
        assert expected.replace("<", "&lt;").replace(">", "&gt;") in reply.text or expected in reply.text, (text, reply.text)

    await unchanged(world, before)


async def test_only_admins_and_managers_change_items(chat: ChatHarness, world: World, lang: str) -> None:
    [card] = await chat.say(ADMIN, "/item A-1", lang)
    before = await snapshot(world.db)

    for user in (BUYER, VIEWER):
        for text in ["/item new Q-1 Thing", "/item new", "/item A-1 set rop 5", "/item A-1 off"]:
            [reply] = await chat.say(user, text, lang)
            assert refused(lang) in reply.text, (text, reply.text)
        for act in ("rop", "off"):
            [reply] = await chat.press_data(user, card, ItemAct(sku="A-1", v=0, act=act).pack(), lang)
            assert refused(lang) in reply.text
        [reply] = await chat.say(user, "5", lang)  # no dialogue was started by the refused press
        assert (await item(world, "A-1")).reorder_point == Decimal(20)

    await unchanged(world, before)


def test_item_card_golden() -> None:
    item = Item("A-1", "Bolt <M8>", reorder_point=Decimal(20), max_qty=Decimal(100), pack_size=Decimal(10), id=1, version=3)
    stock = StockCard(
        1, "A-1", "Bolt <M8>", "pcs", True, Decimal(20), "ACME",
        (WarehouseStock(warehouse="MAIN", on_hand=Decimal(1500), reserved=Decimal("2.5")),),
        Decimal(1500), Decimal("2.5"), Decimal(0),
    )  # fmt: skip

    text = Renderer(ZoneInfo("Asia/Shanghai")).render("admin/item_card.html", "en", item=item, stock=stock)

    assert text == (
        "<b>A-1 · Bolt &lt;M8&gt;</b>\n"
        "Unit: pcs\n"
        "MAIN: on hand 1,500, reserved 2.5, available 1,497.5\n"
        "Inbound (approved POs): 0\n"
        "Reorder point: 20\n"
        "Max: 100\n"
        "Reorder quantity: —\n"
        "Pack size: 10\n"
        "Default supplier: ACME\n"
        "Lead time: 0 days\n"
        "Active"
    )


Say = Callable[[int, str], Awaitable[list[Sent]]]


async def new_item_review(chat: ChatHarness, user: int, sku: str, lang: str, say: Say | None = None) -> Sent:
    """A guided /item new up to its review, with defaults but the sku and name."""

    async def private(u: int, text: str) -> list[Sent]:
        return await chat.say(u, text, lang)

    ask = say or private
    await ask(user, "/item new")
    for answer in [sku, f"Thing {sku}", "skip", "skip", "skip", "skip"]:
        await ask(user, answer)
    [review] = await ask(user, "skip")
    assert review.buttons(), review.text
    return review


async def test_in_a_group_a_press_on_someone_elses_review_changes_nothing(chat: ChatHarness, world: World, lang: str) -> None:
    """A viewer's tap used to find no dialogue of theirs and strip the admin's buttons; a manager's
    tap, with a review of their own pending, created the manager's item and rewrote the admin's."""

    async def say(user: int, text: str) -> list[Sent]:
        return await in_group(chat, user, text, lang)

    mine = await new_item_review(chat, ADMIN, "G-1", lang, say)
    theirs = await new_item_review(chat, MANAGER, "G-2", lang, say)
    before = await snapshot(world.db)

    for user, label in ((VIEWER, "admin.button.create"), (VIEWER, "admin.button.drop"), (MANAGER, "admin.button.create")):
        assert await chat.press(user, mine, t(lang, label), lang) == []
        assert chat.recorder.answers[-1].text == t(lang, "wizard.gone")
    assert await chat.press(ADMIN, theirs, t(lang, "admin.button.drop"), lang) == []

    await unchanged(world, before)
    assert untouched(mine) and untouched(theirs)
    await chat.press(MANAGER, theirs, t(lang, "admin.button.create"), lang)  # each review still works for its owner
    await chat.press(ADMIN, mine, t(lang, "admin.button.create"), lang)
    assert ((await item(world, "G-1")).name, (await item(world, "G-2")).name) == ("Thing G-1", "Thing G-2")
    assert mine.buttons() == [] and theirs.buttons() == []


async def test_create_under_an_older_review_creates_nothing(chat: ChatHarness, world: World, lang: str) -> None:
    """After /cancel and a restart, Create under the first review used to create the second one's values."""
    old = await new_item_review(chat, MANAGER, "OLD-1", lang)
    await chat.say(MANAGER, "/cancel", lang)
    restarted = ChatHarness(world, recorder=chat.recorder)
    new = await new_item_review(restarted, MANAGER, "NEW-1", lang)
    before = await snapshot(world.db)

    assert await restarted.press(MANAGER, old, t(lang, "admin.button.create"), lang) == []

    await unchanged(world, before)
    assert chat.recorder.answers[-1].text == t(lang, "wizard.gone")
    assert untouched(old) and untouched(new)
    await restarted.press(MANAGER, new, t(lang, "admin.button.create"), lang)
    assert await item(world, "NEW-1") is not None and await item(world, "OLD-1") is None


async def test_an_inactive_default_supplier_is_refused_at_its_step(chat: ChatHarness, world: World, lang: str) -> None:
    """It used to pass the step and fail only at Create, so the whole wizard had to start over."""
    await world.do(c.CreatePartner(actor_id=ADMIN, kind="supplier", code="OLDCO", name="Old Co"))
    await world.do(c.SetPartnerActive(actor_id=ADMIN, kind="supplier", code="OLDCO", active=False))
    await chat.say(MANAGER, "/item new", lang)
    for answer in ["Q-2", "Hinge", "skip", "skip", "skip", "skip"]:
        await chat.say(MANAGER, answer, lang)

    [refused] = await chat.say(MANAGER, "oldco", lang)
    [review] = await chat.say(MANAGER, "ACME", lang)  # the same step, asked again
    await chat.press(MANAGER, review, t(lang, "admin.button.create"), lang)

    assert "OLDCO" in refused.text and bot_t(lang, "reason.inactive_supplier") in refused.text
    assert review.buttons() == [] and (await item(world, "Q-2")).name == "Hinge"
