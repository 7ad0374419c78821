"""Paginated order lists (◀ ▶), shared by /po, /so and /approvals."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import ListPage
from domain.master import PURCHASING, SELLING, User
from domain.ports import Reads
from domain.purchasing import OPEN_INBOUND, POStatus
from domain.readmodels import OrderSummary, Page
from domain.sales import OPEN_OUTBOUND
from notifications.i18n import t
from notifications.render import Renderer

PAGE_SIZE = 10
PO_SCOPES = ("mine", "pending", "open", "all")
SO_SCOPES = ("mine", "open", "all")


@dataclass(frozen=True, slots=True)
class Shown:
    text: str
    markup: InlineKeyboardMarkup | None


def default_scope(what: str, actor: User) -> str:
    return "mine" if actor.may(PURCHASING if what == "po" else SELLING) else "open"


async def fetch(what: str, scope: str, actor: User, page: int, reads: Reads) -> Page[OrderSummary]:
    mine = actor.id if scope == "mine" else None
    if what == "po":
        status = {"pending": [POStatus.PENDING.value], "open": [s.value for s in OPEN_INBOUND]}.get(scope)
        return await reads.po_list(status, mine, page, PAGE_SIZE)
    status = [s.value for s in OPEN_OUTBOUND] if scope == "open" else None
    return await reads.so_list(status, mine, page, PAGE_SIZE)


def _pager(what: str, scope: str, page: Page[OrderSummary], lang: str) -> InlineKeyboardMarkup | None:
    buttons = []
    if page.has_prev:
        buttons.append(
            InlineKeyboardButton(
                text=t(lang, "button.prev"), callback_data=ListPage(what=what, scope=scope, page=page.page - 1).pack()
            )
        )
    if page.has_next:
        buttons.append(
            InlineKeyboardButton(
                text=t(lang, "button.next"), callback_data=ListPage(what=what, scope=scope, page=page.page + 1).pack()
            )
        )
    return InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None


async def show(what: str, scope: str, actor: User, page: int, lang: str, reads: Reads, render: Renderer) -> Shown:
    rows = await fetch(what, scope, actor, page, reads)
    text = render.render(
        "order_list.html",
        lang,
        title=t(lang, f"list.{what}_{scope}"),
        page=rows,
        filters=t(lang, "list.filters" if what == "po" else "list.so_filters"),
    )
    return Shown(text, _pager(what, scope, rows, lang))
