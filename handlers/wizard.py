"""Creation of master data (/item new, /supplier new, /customer new): all fields on the command
line at once, or guided: one question per step, each answer checked before the next question,
then a review with Create and Cancel buttons. Guided, nothing is created before Create; /cancel
leaves at any point. The answers live in the dialogue state (SQL-backed), so a restart in the
middle loses nothing.

The review's buttons carry a random token that the dialogue keeps too: a press acts only on the
presser's own open review, the one it was drawn under. Anyone else's press (a colleague in a
group), or one under an older review, is told so and changes nothing, not even the buttons."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.callbacks import WizardStep
from domain import commands as c
from domain.master import Role, User
from domain.ports import Reads
from domain.services.bus import Bus
from handlers.cards import unbutton
from notifications.i18n import t
from notifications.render import Renderer

SKIP = {"skip", "-", "跳过", "无"}
TEXT = F.text & ~F.text.startswith("/")

# An answer as typed → the value to keep (text, as the dialogue stores it), or a domain error.
Check = Callable[[str, Reads, dict[str, str]], Awaitable[str]]
Shown = Callable[[Message, Any, User, str, Reads, Renderer], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Step:
    key: str  # where the answer is kept; the question is wizard.<what>.<key>, its label wizard.label.<key>
    check: Check
    skip: str | None = None  # what "skip" keeps; None: the question must be answered


@dataclass(frozen=True, slots=True)
class Flow:
    what: str  # item, supplier or customer
    roles: frozenset[Role]
    action: str
    states: type[StatesGroup]  # with `step` and `review`
    steps: tuple[Step, ...]
    build: Callable[[dict[str, str], int, str], c.Command]  # answers, actor id, idempotency key
    show: Shown  # what was created, shown after Create
    line: Callable[[str, int, str], c.Command]  # `/<what> new <fields…>`: the fields, actor id, idempotency key


async def _start(message: Message, state: FSMContext, f: Flow, actor: User, lang: str, render: Renderer) -> None:
    actor.require(f.roles, f.action)
    await state.clear()
    await state.set_state(f.states.step)  # type: ignore[attr-defined]
    await state.set_data({"step": 0, "values": {}})
    await _ask(message, f, 0, lang, render)


async def _ask(message: Message, f: Flow, index: int, lang: str, render: Renderer) -> None:
    step = f.steps[index]
    text = render.text(lang, f"wizard.{f.what}.{step.key}")
    if step.skip is not None:
        text += "\n" + render.text(lang, "wizard.skip_hint")
    await message.answer(text)


def _review(f: Flow, values: dict[str, str], lang: str, render: Renderer, token: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [(t(lang, f"wizard.label.{s.key}"), values.get(s.key) or "—") for s in f.steps]
    text = render.render("admin/review.html", lang, title=t(lang, f"wizard.{f.what}.review"), rows=rows)
    buttons = [
        InlineKeyboardButton(
            text=t(lang, f"admin.button.{label}"), callback_data=WizardStep(what=f.what, act=act, n=token).pack()
        )
        for label, act in (("create", "ok"), ("drop", "no"))
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=[buttons])


def attach(r: Router, f: Flow) -> None:
    """`/<what> new` and the answer, review and button handlers of one flow, on the router of its
    command (before the command's other handlers, so that `new` is not taken for a code)."""
    states: Any = f.states

    @r.message(Command(f.what, magic=F.args.regexp(r"(?i)^\s*new(\s|$)")))
    async def new(
        message: Message,
        command: CommandObject,
        state: FSMContext,
        actor: User,
        lang: str,
        bus: Bus,
        reads: Reads,
        render: Renderer,
        idem: str,
    ) -> None:
        rest = (command.args or "").strip()[3:].strip()
        if not rest:
            await _start(message, state, f, actor, lang, render)
            return
        actor.require(f.roles, f.action)
        created = await bus.handle(f.line(rest, actor.id, idem))
        await f.show(message, created, actor, lang, reads, render)

    @r.message(StateFilter(states.step), TEXT)
    async def answer(message: Message, state: FSMContext, lang: str, reads: Reads, render: Renderer) -> None:
        data = await state.get_data()
        index, values = int(data["step"]), dict(data["values"])
        step, typed = f.steps[index], (message.text or "").strip()
        skipped = step.skip is not None and typed.lower() in SKIP
        values[step.key] = step.skip if skipped and step.skip is not None else await step.check(typed, reads, values)
        if index + 1 < len(f.steps):
            await state.update_data(step=index + 1, values=values)
            await _ask(message, f, index + 1, lang, render)
            return
        token = secrets.token_hex(4)
        await state.set_state(states.review)
        await state.update_data(values=values, review=token)
        text, markup = _review(f, values, lang, render, token)
        await message.answer(text, reply_markup=markup)

    @r.message(StateFilter(states.review), TEXT)
    async def waiting(message: Message, lang: str, render: Renderer) -> None:
        await message.answer(render.text(lang, "wizard.use_buttons"))

    @r.message(StateFilter(states.step, states.review), ~F.text)
    async def not_text(message: Message, lang: str, render: Renderer) -> None:
        await message.answer(render.text(lang, "dialog.use_text"))

    # Answered after the handler, so a press that is not the presser's own can say so in a toast.
    @r.callback_query(WizardStep.filter(F.what == f.what), flags={"callback_answer": {"pre": False}})
    async def decide(
        query: CallbackQuery,
        callback_data: WizardStep,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        raw_state: str | None,
        actor: User,
        lang: str,
        bus: Bus,
        reads: Reads,
        render: Renderer,
        idem: str,
    ) -> None:
        if not isinstance(query.message, Message):
            return
        data = await state.get_data()
        if raw_state != states.review.state or data.get("review") != callback_data.n:
            # Someone else's review, an older one of theirs, or one created, cancelled or timed out already.
            callback_answer.text = t(lang, "wizard.gone")
            return
        values = dict(data["values"])
        created = await bus.handle(f.build(values, actor.id, idem)) if callback_data.act == "ok" else None
        await state.clear()
        await unbutton(query.message)  # the review stays as a record
        if created is None:
            await query.message.answer(render.text(lang, "dialog.cancelled"))
            return
        await f.show(query.message, created, actor, lang, reads, render)
