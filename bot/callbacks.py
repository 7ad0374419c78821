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


class ImportStep(CallbackData, prefix="imp"):
    """Confirm (act "go") or drop ("no") the import whose report carries the button; token: the
    report's own random token, kept in the dialogue state, so a button under another report
    (an older one, or the same file checked as another kind) applies nothing."""

    act: str
    token: str


class UserAct(CallbackData, prefix="u"):
    """A button on a user card or on the roles picker of a new user. act: card (open it), role
    (toggle one role), off / on (deactivate / reactivate), pick (toggle on the picker), reg
    (register with the picked roles), drop (cancel the registration). roles: the role mask the
    press asks for; was: on a card, the mask the card showed (a card drawn before someone else's
    change is redrawn, not applied); on a picker, the picker's own number, kept in the dialogue
    of the admin who opened it, so nobody else's press (nor one on an older picker) acts on it."""

    act: str
    uid: int
    roles: int
    was: int


class UserPage(CallbackData, prefix="up"):
    """◀ ▶ on the /users list."""

    page: int


class ItemAct(CallbackData, prefix="it"):
    """An edit button on an item card; v: the item's version the card showed."""

    sku: str
    v: int
    act: str


class WizardStep(CallbackData, prefix="w"):
    """Create (act "ok") or drop ("no") what a guided /item new, /supplier new or /customer new
    collected; what: which of them the review was for; n: the review's own random token, kept in
    the dialogue of whoever it was drawn for, so a press by someone else, or on an older review,
    acts on nobody's dialogue."""

    what: str
    act: str
    n: str


class SettingsAct(CallbackData, prefix="st"):
    """/settings: act "lang" (value zh or en), "mute" or "unmute" (value an alert kind). Each press
    sets a value rather than flipping it, so a double tap is harmless. uid: whose panel it is (a
    press by anyone else changes nothing)."""

    act: str
    value: str
    uid: int
