"""/bind <kind…>, /unbind [kind…], /bindings: which alerts a group chat or forum topic receives.

Sent in the group (or the forum topic) itself, by an admin; the sender's own roles count.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from domain.alerts import KINDS, AlertKind, ChatPlace
from domain.master import User
from domain.services.bindings import AlertSubscriptions, BindingChange
from notifications.i18n import t
from notifications.render import Renderer


def _place(message: Message) -> ChatPlace:
    # In a forum, replies outside topics carry a thread id too; only a topic message names a topic.
    thread = message.message_thread_id if message.is_topic_message else None
    return ChatPlace(message.chat.id, thread or 0, message.chat.type, message.chat.title)


def _names(lang: str, kinds: Sequence[AlertKind]) -> str:
    return ", ".join(f"{t(lang, f'alert.kind.{k.value}')} ({k.value})" for k in kinds)


def _reply(render: Renderer, lang: str, change: BindingChange, done: str) -> str:
    if change.unknown:
        return render.text(lang, "bind.unknown", words=", ".join(change.unknown)[:200], kinds=", ".join(KINDS))
    if not change.asked:
        return render.text(lang, "bind.usage", kinds=", ".join(KINDS))
    if done == "bind.unbound" and not change.kinds:
        return render.text(lang, "bind.nothing_bound")
    shown = change.bound if done == "bind.bound" else change.kinds
    return render.text(lang, done, kinds=_names(lang, shown))


def router() -> Router:
    r = Router(name="bindings")
    in_group = F.chat.type.in_({ChatType.GROUP, ChatType.SUPERGROUP})

    @r.message(Command("bind", "unbind", "bindings"), ~in_group)
    async def private(message: Message, lang: str, render: Renderer) -> None:
        await message.answer(render.text(lang, "bind.private"))

    @r.message(Command("bind"), in_group)
    async def bind(
        message: Message, command: CommandObject, actor: User, lang: str, alert_bindings: AlertSubscriptions, render: Renderer
    ) -> None:
        change = await alert_bindings.bind(actor, _place(message), (command.args or "").split(), lang)
        await message.answer(_reply(render, lang, change, "bind.bound"))

    @r.message(Command("unbind"), in_group)
    async def unbind(
        message: Message, command: CommandObject, actor: User, lang: str, alert_bindings: AlertSubscriptions, render: Renderer
    ) -> None:
        change = await alert_bindings.unbind(actor, _place(message), (command.args or "").split())
        await message.answer(_reply(render, lang, change, "bind.unbound"))

    @r.message(Command("bindings"), in_group)
    async def bindings(message: Message, actor: User, lang: str, alert_bindings: AlertSubscriptions, render: Renderer) -> None:
        bound = await alert_bindings.bound(actor, _place(message))
        await message.answer(render.render("alerts/bindings.html", lang, bound=[k.value for k in bound]))

    return r
