"""PO and SO cards: the text and the buttons one viewer may use right now.

A card drawn for a group (viewer None) shows the buttons of the order's state; whoever presses
one is checked by the use case all the same.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Protocol

from aiogram.enums import ButtonStyle
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.callbacks import OrderAction
from domain.master import PURCHASING, RECEIVING, SELLING, SHIPPING, Role, User
from domain.ports import Reads
from domain.purchasing import OPEN_INBOUND, POStatus, PurchaseOrder
from domain.sales import OPEN_OUTBOUND, SalesOrder, SOStatus
from domain.values import line_total
from notifications.i18n import t
from notifications.render import Renderer

MAX_LINES = 30  # beyond this a card lists the first ones and says how many more


def viewer_in(message: Message, actor: User) -> User | None:
    """Whose buttons a card shows: the person's in a private chat; in a group, the order's
    (anyone may press, and each press is checked against the presser's own roles)."""
    return actor if message.chat.type == "private" else None


async def unbutton(message: Message) -> None:
    """Keep a message as a record without its buttons."""
    with suppress(TelegramBadRequest):  # already without buttons, or too old to edit: nothing to undo
        await message.edit_reply_markup(reply_markup=None)


async def redraw(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit a message in place. A double tap redraws what is already there, which Telegram
    refuses (400 "message is not modified"); the message is right as it is then."""
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:
            raise


@dataclass(frozen=True, slots=True)
class Card:
    text: str
    markup: InlineKeyboardMarkup | None


def _button(lang: str, label: str, data: OrderAction, style: ButtonStyle | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t(lang, f"button.{label}"), callback_data=data.pack(), style=style)


def po_buttons(po: PurchaseOrder, viewer: User | None, lang: str) -> InlineKeyboardMarkup | None:
    def act(name: str) -> OrderAction:
        return OrderAction(kind="p", ref=po.number, v=po.version, act=name)

    def may(roles: frozenset[Role]) -> bool:
        return viewer is None or viewer.may(roles)

    rows: list[list[InlineKeyboardButton]] = []
    if po.status == POStatus.PENDING and (viewer is None or po.can_decide(viewer)):
        rows.append(
            [
                _button(lang, "approve", act("ok"), ButtonStyle.SUCCESS),
                _button(lang, "reject", act("no"), ButtonStyle.DANGER),
            ]
        )
    if po.status == POStatus.DRAFT and may(PURCHASING):
        rows.append([_button(lang, "submit", act("sub"), ButtonStyle.PRIMARY)])
        rows.append([_button(lang, "edit_lines", act("ed")), _button(lang, "discard", act("del"))])
    if po.status == POStatus.REJECTED and may(PURCHASING):
        rows.append([_button(lang, "revise", act("rev"))])
    if po.status in OPEN_INBOUND and po.open_qty > 0 and may(RECEIVING):
        rows.append([_button(lang, "receive_all", act("rcv"), ButtonStyle.PRIMARY)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def so_buttons(so: SalesOrder, viewer: User | None, lang: str) -> InlineKeyboardMarkup | None:
    def act(name: str) -> OrderAction:
        return OrderAction(kind="s", ref=so.number, v=so.version, act=name)

    rows: list[list[InlineKeyboardButton]] = []
    if so.status == SOStatus.DRAFT and (viewer is None or viewer.may(SELLING)):
        rows.append([_button(lang, "confirm", act("cf"), ButtonStyle.PRIMARY)])
        rows.append([_button(lang, "discard", act("del"))])
    if so.status in OPEN_OUTBOUND and any(ln.reserved_qty > 0 for ln in so.lines) and (viewer is None or viewer.may(SHIPPING)):
        rows.append([_button(lang, "ship_all", act("shp"), ButtonStyle.PRIMARY)])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def po_card(po: PurchaseOrder, viewer: User | None, lang: str, reads: Reads, render: Renderer) -> Card:
    people = await reads.user_names({po.created_by, *(d.user_id for d in po.decisions)})
    current = [d for d in po.decisions if d.round == po.approval_round]
    text = render.render(
        "po_card.html",
        lang,
        po=po,
        names=await reads.item_names({ln.sku for ln in po.lines}),
        amounts={ln.line_no: line_total(ln.qty, ln.unit_price, po.currency) for ln in po.lines},
        supplier_name=await reads.partner_name("supplier", po.supplier_code),
        people=people,
        decisions=current,
        max_lines=MAX_LINES,
    )
    return Card(text, po_buttons(po, viewer, lang))


async def so_card(so: SalesOrder, viewer: User | None, lang: str, reads: Reads, render: Renderer) -> Card:
    text = render.render(
        "so_card.html",
        lang,
        so=so,
        names=await reads.item_names({ln.sku for ln in so.lines}),
        amounts={ln.line_no: line_total(ln.qty, ln.unit_price, so.currency) for ln in so.lines},
        customer_name=await reads.partner_name("customer", so.customer_code),
        people=await reads.user_names({so.created_by}),
        max_lines=MAX_LINES,
    )
    return Card(text, so_buttons(so, viewer, lang))


async def order_card(order: PurchaseOrder | SalesOrder, viewer: User | None, lang: str, reads: Reads, render: Renderer) -> Card:
    """The card of a PO or an SO as `viewer` sees it (None: a group's copy, no buttons)."""
    if isinstance(order, PurchaseOrder):
        return await po_card(order, viewer, lang, reads, render)
    return await so_card(order, viewer, lang, reads, render)


class Copies(Protocol):
    """Sends cards and keeps every copy of them current (bot.copies.CardCopies)."""

    async def send(self, target: Message, card: Card, kind: str, ref: str, viewer: User | None, lang: str) -> Message: ...

    async def refresh(self, kind: str, ref: str) -> None: ...
