"""Button payloads: typed, short (Telegram allows 64 bytes), and carrying the version of the
record the button was drawn for, so a press on an old card changes nothing."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class OrderAction(CallbackData, prefix="o"):
    """A button on a PO or SO card. kind: p (PO) or s (SO); act: see handlers' card actions."""

    kind: str
    ref: str
    v: int
    act: str


class ListPage(CallbackData, prefix="l"):
    """◀ ▶ on a list. what: po/so/apv; scope: the filter the list was opened with."""

    what: str
    scope: str
    page: int


class ItemPick(CallbackData, prefix="i"):
    """A suggestion after a /stock miss."""

    sku: str
