"""/item: the item card, and master data from the phone (admins and managers edit).

    /item <sku>                          the card; editors get edit buttons under it
    /item <sku> set <field> <value…>     field: name, rop, max, qty, pack or supplier
    /item <sku> off  ·  /item <sku> on   deactivate / reactivate (items are never deleted)
    /item new                            guided: sku → name → unit → reorder point → max → pack → supplier
    /item new <sku> <name…> [unit=pcs] [rop=10] [max=50] [qty=20] [pack=5] [supplier=CODE] [lead=7]

An edit button asks for the new value with a reply prompt; the press carries the version of the
card, so an edit made on an outdated card changes nothing and shows the item as it is now.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.callbacks import ItemAct
from domain import commands as c
from domain.errors import DomainError, DuplicateCode, InvalidInput, NotFound, Outdated
from domain.master import MASTER_DATA, User, check_code
from domain.ports import Reads
from domain.readmodels import ItemCard
from domain.services.bus import Bus
from handlers import wizard
from handlers.admin_forms import item_change, item_value, parse_item_set, parse_new_item
from handlers.cards import redraw
from handlers.forms import first_word, tokens
from notifications.formats import qty
from notifications.i18n import t
from notifications.render import Renderer

TEXT = wizard.TEXT
# Edit buttons: what each one changes (UpdateItem's field names).
EDITS = {
    "name": "name",
    "rop": "reorder_point",
    "max": "max_qty",
    "qty": "reorder_qty",
    "pack": "pack_size",
    "sup": "default_supplier",
}


class EditingItem(StatesGroup):
    value = State()


class NewItem(StatesGroup):
    step = State()
    review = State()


def item_card(card: ItemCard, viewer: User, lang: str, render: Renderer) -> tuple[str, InlineKeyboardMarkup | None]:
    text = render.render("admin/item_card.html", lang, item=card.item, stock=card.stock)
    if not viewer.may(MASTER_DATA):
        return text, None
    item = card.item

    def button(act: str) -> InlineKeyboardButton:
        data = ItemAct(sku=item.sku, v=item.version, act=act).pack()
        return InlineKeyboardButton(text=t(lang, f"admin.button.item_{act}"), callback_data=data)

    switch = "off" if item.active else "on"
    rows = [["name", "rop"], ["max", "qty"], ["pack", "sup"], [switch]]
    return text, InlineKeyboardMarkup(inline_keyboard=[[button(a) for a in row] for row in rows])


async def show_item(target: Message, sku: str, viewer: User, lang: str, reads: Reads, render: Renderer, note: str = "") -> None:
    card = await reads.item_card(sku)
    if card is None:
        raise NotFound("item", sku[:32])
    text, markup = item_card(card, viewer, lang, render)
    if note:
        await target.answer(note)
    await target.answer(text, reply_markup=markup)


def current(card: ItemCard, field: str) -> str:
    """The value an edit prompt shows as "now"."""
    if field == "default_supplier":
        return card.stock.supplier or "—"
    value = getattr(card.item, field)
    return qty(value) if isinstance(value, Decimal) else str(value) if value is not None else "—"


# --- the guided /item new -------------------------------------------------------------------


async def _sku(text: str, reads: Reads, _: dict[str, str]) -> str:
    sku = check_code(first_word(text), field="sku")
    if await reads.item_names([sku]):
        raise DuplicateCode("item", sku)
    return sku


def _field(field: str) -> wizard.Check:
    async def check(text: str, reads: Reads, values: dict[str, str]) -> str:
        value = item_value(field, text)
        if field == "max_qty" and value < Decimal(values.get("reorder_point") or 0):
            raise InvalidInput("max_qty", text, "below_reorder_point")
        return qty(value).replace(",", "") if isinstance(value, Decimal) else str(value)

    return check


async def _supplier(text: str, reads: Reads, _: dict[str, str]) -> str:
    """A supplier new orders may go to: refused here, not only at Create (which would mean starting over)."""
    code = check_code(first_word(text), field="supplier")
    supplier = await reads.partner("supplier", code)
    if supplier is None:
        raise NotFound("supplier", code)
    if not supplier.active:
        raise InvalidInput("supplier", code.upper(), "inactive_supplier")
    return code.upper()


def _build(values: dict[str, str], actor_id: int, idem: str) -> c.Command:
    numbers: dict[str, Any] = {k: Decimal(values[k]) for k in ("reorder_point", "max_qty", "pack_size") if values.get(k)}
    return c.CreateItem(
        actor_id=actor_id,
        sku=values["sku"],
        name=values["name"],
        unit=values.get("unit") or "pcs",
        default_supplier=values.get("default_supplier") or None,
        idempotency_key=idem,
        **numbers,
    )


async def _created(target: Message, item: Any, actor: User, lang: str, reads: Reads, render: Renderer) -> None:
    await show_item(target, item.sku, actor, lang, reads, render, note=render.text(lang, "admin.item.created", sku=item.sku))


NEW_ITEM = wizard.Flow(
    what="item",
    roles=MASTER_DATA,
    action="create_item",
    states=NewItem,
    steps=(
        wizard.Step("sku", _sku),
        wizard.Step("name", _field("name")),
        wizard.Step("unit", _field("unit"), skip="pcs"),
        wizard.Step("reorder_point", _field("reorder_point"), skip="0"),
        wizard.Step("max_qty", _field("max_qty"), skip=""),
        wizard.Step("pack_size", _field("pack_size"), skip="1"),
        wizard.Step("default_supplier", _supplier, skip=""),
    ),
    build=_build,
    show=_created,
    line=lambda rest, actor_id, idem: c.CreateItem(actor_id=actor_id, idempotency_key=idem, **parse_new_item(rest)),
)


def router() -> Router:
    r = Router(name="item")
    wizard.attach(r, NEW_ITEM)

    @r.message(Command("item"))
    async def item(
        message: Message, command: CommandObject, actor: User, lang: str, bus: Bus, reads: Reads, render: Renderer, idem: str
    ) -> None:
        words = tokens(command.args or "")
        if not words:
            await message.answer(render.text(lang, "admin.item.usage"))
            return
        sku, verb = words[0], words[1].lower() if len(words) > 1 else ""
        if verb in ("set", "off", "on"):
            actor.require(MASTER_DATA, "edit_item")
            change: dict[str, Any] = parse_item_set(words[2:]) if verb == "set" else {"active": verb == "on"}
            await bus.handle(c.UpdateItem(actor_id=actor.id, sku=sku, idempotency_key=idem, **change))
            note = render.text(lang, "admin.item.saved", sku=sku)
        elif verb:
            raise InvalidInput("item", " ".join(words[1:]), "item_form")
        else:
            note = ""
        await show_item(message, sku, actor, lang, reads, render, note)

    @r.callback_query(ItemAct.filter(F.act.in_(EDITS)))
    async def ask(query: CallbackQuery, callback_data: ItemAct, state: FSMContext, actor: User, lang: str, reads: Reads) -> None:
        actor.require(MASTER_DATA, "edit_item")
        card = await reads.item_card(callback_data.sku)
        if card is None or not isinstance(query.message, Message):
            return
        field = EDITS[callback_data.act]
        await state.set_state(EditingItem.value)
        await state.set_data({"sku": card.item.sku, "field": field, "v": callback_data.v})
        label = t(lang, f"wizard.label.{field}")
        await query.message.answer(
            t(lang, "admin.item.ask_value", sku=card.item.sku, field=label, now=current(card, field)),
            parse_mode=None,
            reply_markup=ForceReply(selective=True, input_field_placeholder=label[:64]),
        )

    @r.message(StateFilter(EditingItem.value), TEXT)
    async def edit(
        message: Message, state: FSMContext, actor: User, lang: str, bus: Bus, reads: Reads, render: Renderer, idem: str
    ) -> None:
        data = await state.get_data()
        field = str(data["field"])
        change = item_change(field, message.text or "")
        command = c.UpdateItem(actor_id=actor.id, sku=data["sku"], expected_version=data["v"], idempotency_key=idem, **change)
        try:
            await bus.handle(command)
        except (InvalidInput, NotFound):
            raise  # the value itself was refused (or names no supplier): the next message is another try
        except DomainError:
            await state.clear()  # changed meanwhile, or not theirs to change: nothing left to ask
            raise
        await state.clear()
        await show_item(
            message, data["sku"], actor, lang, reads, render, note=render.text(lang, "admin.item.saved", sku=data["sku"])
        )

    @r.callback_query(ItemAct.filter(F.act.in_({"off", "on"})))
    async def switch(
        query: CallbackQuery, callback_data: ItemAct, actor: User, lang: str, bus: Bus, reads: Reads, render: Renderer, idem: str
    ) -> None:
        if not isinstance(query.message, Message):
            return
        sku, active = callback_data.sku, callback_data.act == "on"
        command = c.UpdateItem(actor_id=actor.id, sku=sku, active=active, expected_version=callback_data.v, idempotency_key=idem)
        try:
            await bus.handle(command)
        except Outdated:
            await query.message.answer(render.text(lang, "admin.item.outdated", sku=sku))
        card = await reads.item_card(sku)
        if card is not None:
            await redraw(query.message, *item_card(card, actor, lang, render))

    return r
