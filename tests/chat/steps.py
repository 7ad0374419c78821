"""Small steps the chat tests share: make an order through the chat, count rows, read texts."""

from __future__ import annotations

from typing import Any

from aiogram.types import ForceReply

from notifications.i18n import t
from storage.tables import purchase_orders, sales_orders
from tests.chat.harness import ChatHarness, Sent
from tests.support import BUYER, MANAGER, SALES, World, snapshot

LANGS = ["en", "zh"]


def label(lang: str, key: str) -> str:
    """A button's caption as the catalog has it (press() matches on a part of it)."""
    return t(lang, f"button.{key}")


def texts(sent: list[Sent]) -> str:
    return "\n".join(s.text for s in sent)


def is_force_reply(sent: Sent) -> bool:
    return isinstance(sent.raw_markup, ForceReply)


async def po_count(world: World) -> int:
    return await world.count(purchase_orders)


async def so_count(world: World) -> int:
    return await world.count(sales_orders)


async def unchanged(world: World, before: dict[str, Any]) -> None:
    after = await snapshot(world.db)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"tables changed: {changed}"


async def draft(chat: ChatHarness, line: str = "A-1 10 @20", lang: str = "en", user: int = BUYER) -> tuple[str, Sent]:
    """A draft PO made with the one-line form; its number and the card the buyer got."""
    replies = await chat.say(user, f"/po new ACME {line}", lang)
    card = replies[-1]
    assert card.buttons(), texts(replies)
    number = card.buttons()[0][1].split(":")[2]
    return number, card


async def submitted(chat: ChatHarness, line: str = "A-1 100 @20", lang: str = "en") -> tuple[str, Sent]:
    """A PO waiting for approval (100 × 20 = 2,000: one approval), and the buyer's card."""
    number, card = await draft(chat, line, lang)
    await chat.press(BUYER, card, label(lang, "submit"), lang)
    return number, card


async def approval_card(chat: ChatHarness, user: int = MANAGER, lang: str = "en") -> Sent:
    replies = await chat.say(user, "/approvals", lang)
    assert len(replies) >= 2, texts(replies)
    return replies[-1]


async def so_draft(chat: ChatHarness, line: str = "A-1 5 @9", lang: str = "en") -> tuple[str, Sent]:
    replies = await chat.say(SALES, f"/so new SHOP {line}", lang)
    card = replies[-1]
    assert card.buttons(), texts(replies)
    return card.buttons()[0][1].split(":")[2], card
