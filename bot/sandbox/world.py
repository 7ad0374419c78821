"""The sample company's Telegram side: its people and group chats in the emulator, with the ids the
database knows them by, and the alert kinds each group chat is bound to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from bot import sample
from bot.emulator import EmulatorClient
from domain.alerts import AlertKind, ChatPlace
from storage.bindings import SqlAlertBindings
from storage.database import Database
from storage.tables import outbox


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    role: str
    language: str


@dataclass(frozen=True)
class GroupChat:
    id: int  # fixed, so a kept database's bindings still point at the same chats next time
    title: str
    roles: frozenset[str]  # everyone with one of these roles is a member
    kinds: tuple[AlertKind, ...]  # bound to this chat


PEOPLE: tuple[Person, ...] = (
    Person(sample.ADMIN, sample.ADMIN_NAME, "admin", "zh"),
    *(Person(uid, name, role, lang) for uid, name, role, lang in sample.STAFF),
)

GROUPS: tuple[GroupChat, ...] = (
    GroupChat(
        -100101,
        "采购群 Purchasing",
        frozenset({"admin", "manager", "buyer"}),
        (
            AlertKind.APPROVAL_REQUEST,
            AlertKind.APPROVAL_REMINDER,
            AlertKind.DECISION,
            AlertKind.LOW_STOCK,
            AlertKind.OVERDUE_INBOUND,
        ),
    ),
    GroupChat(
        -100102,
        "仓库群 Warehouse",
        frozenset({"manager", "warehouse", "buyer", "sales"}),
        (AlertKind.RECEIPT, AlertKind.SHIPMENT, AlertKind.OVERDUE_OUTBOUND, AlertKind.LOW_STOCK),
    ),
    GroupChat(-100103, "管理层 Management", frozenset({"admin", "manager", "viewer"}), (AlertKind.DAILY_DIGEST,)),
)


def members(group: GroupChat, people: Sequence[Person] = PEOPLE) -> list[int]:
    return [p.id for p in people if p.role in group.roles]


async def populate(client: EmulatorClient) -> None:
    """Create the people (with the sample's Telegram ids and languages) and the group chats."""
    for person in PEOPLE:
        await client.create_user(person.name, user_id=person.id, language_code=person.language)
    for group in GROUPS:
        admins = [p.id for p in PEOPLE if p.role == "admin"]
        await client.create_group(group.title, members=members(group), admins=admins, chat_id=group.id)


async def bind_groups(db: Database, lang: str, now: datetime) -> None:
    """Bind each group chat to its alert kinds, as the admin's /bind there would; the groups speak
    the sandbox's language. Binding again changes nothing."""
    store = SqlAlertBindings(db)
    for g in GROUPS:
        await store.bind(ChatPlace(g.id, 0, "group", g.title), [k.value for k in g.kinds], sample.ADMIN, lang, now)


async def past_announced(db: Database, before: datetime) -> None:
    """The sample's story before `before` was announced when it happened, ten days ago: only
    today's news (the PO waiting for approval, today's shipment, low stock) reaches the chats
    when the sandbox starts."""
    o = outbox.c
    async with db.write_engine.begin() as conn:
        await conn.execute(update(outbox).where(o.status == "pending", o.created_at < before).values(status="routed"))
