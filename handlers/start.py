"""/start, /help and /cancel."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

from domain.master import User
from domain.ports import ChatTargets
from handlers import COMMANDS
from notifications.i18n import t
from notifications.render import Renderer


def router() -> Router:
    r = Router(name="start")

    @r.message(CommandStart())
    async def start(message: Message, actor: User, lang: str, render: Renderer, chat_targets: ChatTargets) -> None:
        await chat_targets.reachable(message.chat.id, message.date)  # someone who never started the bot
        roles = ", ".join(t(lang, f"role.{role.value}") for role in sorted(actor.roles)) or "—"
        await message.answer(render.render("start.html", lang, user=actor, roles=roles))

    @r.message(Command("help"))
    async def help_(message: Message, lang: str, render: Renderer) -> None:
        await message.answer(render.render("help.html", lang, commands=COMMANDS))

    @r.message(Command("cancel"), StateFilter("*"))
    async def cancel(message: Message, state: FSMContext, raw_state: str | None, lang: str, render: Renderer) -> None:
        await state.clear()
        await message.answer(
            render.text(lang, "dialog.cancelled" if raw_state else "dialog.nothing"), reply_markup=ReplyKeyboardRemove()
        )

    return r
