"""Button payloads: typed, short (Telegram allows 64 bytes), and carrying the version of the
record the button was drawn for, so a press on an old card changes nothing."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

CALLBACK_LIMIT = 64


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


class DraftAction(CallbackData, prefix="d"):
    """A button on a dialogue's review card (submit / edit / cancel) or a choice in a step."""

    act: str
    arg: str = ""


class ItemPick(CallbackData, prefix="i"):
    """A suggestion after a /stock miss."""

    sku: str


def fits(data: CallbackData) -> str:
    packed = data.pack()
    if len(packed.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data {packed!r} is over {CALLBACK_LIMIT} bytes")
    return packed
