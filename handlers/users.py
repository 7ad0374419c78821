"""/users (admins): who may use the bot, with which roles, and who is switched off.

    /users                 the list (tap a name for the card: role toggles, deactivate)
    /users <id>            one person's card
    /users add             guided: forward a message from the person (or send "<id> <name>"),
                           then tick their roles on buttons
    /users add <id> <name…> <role…> [lang=zh|en]
    /users roles <id> <role…>     exactly these roles; +role / -role adds or takes one
    /users off <id>  ·  /users on <id>

People are deactivated, never deleted: their orders and history keep their name. Someone new
is greeted in their language; if Telegram will not let the bot write to them yet (they never
pressed Start), or the greeting is lost (flood control, a Telegram or network failure), the
admin is told so and the registration stands. A roles picker answers only the admin who opened
it, and only while it is their open one.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Protocol

from aiogram import Bot, F, Router
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageOriginUser
from aiogram.utils.callback_answer import CallbackAnswer

from bot.callbacks import UserAct, UserPage
from bot.config import Settings
from domain import commands as c
from domain.errors import DuplicateCode, InvalidInput, NotFound
from domain.master import ADMINISTRATION, Role, User, check_name
from domain.ports import Reads
from domain.services.bus import Bus
from handlers import wizard
from handlers.admin_forms import parse_new_user, parse_role_changes, role_mask, roles_in, user_id
from handlers.cards import redraw, unbutton
from handlers.forms import tokens
from notifications.i18n import pick_language, t
from notifications.render import Renderer

log = logging.getLogger("caixiao.handlers")
PAGE_SIZE = 10
ACTIVE = 1 << len(Role)  # with the role bits: what a card showed, to spot a change made since
TEXT = wizard.TEXT


class Forgets(Protocol):
    """The actor middleware's memory of registrations (bot.middlewares.Actor)."""

    def forget(self, user_id: int) -> None: ...


class AddingUser(StatesGroup):
    who = State()  # waiting for a forwarded message or "<id> <name>"
    roles = State()  # ticking roles on the picker


def role_names(lang: str, roles: frozenset[Role]) -> str:
    return ", ".join(t(lang, f"role.{r.value}") for r in Role if r in roles) or "—"


def seen(user: User) -> int:
    return role_mask(user.roles) | (ACTIVE if user.active else 0)


def _toggles(lang: str, mask: int, press: Any) -> list[list[InlineKeyboardButton]]:
    buttons = [
        InlineKeyboardButton(text=("☑ " if mask >> i & 1 else "☐ ") + t(lang, f"role.{role.value}"), callback_data=press(i))
        for i, role in enumerate(Role)
    ]
    return [buttons[i : i + 3] for i in range(0, len(buttons), 3)]


def user_card(user: User, lang: str, render: Renderer) -> tuple[str, InlineKeyboardMarkup]:
    mask, was = role_mask(user.roles), seen(user)
    rows = _toggles(lang, mask, lambda i: UserAct(act="role", uid=user.id, roles=mask ^ 1 << i, was=was).pack())
    switch = "off" if user.active else "on"
    rows.append(
        [
            InlineKeyboardButton(
                text=t(lang, f"admin.button.user_{switch}"),
                callback_data=UserAct(act=switch, uid=user.id, roles=mask, was=was).pack(),
            )
        ]
    )
    text = render.render("admin/user_card.html", lang, user=user, roles=role_names(lang, user.roles))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def picker(uid: int, name: str, mask: int, token: int, lang: str, render: Renderer) -> tuple[str, InlineKeyboardMarkup]:
    """The roles picker; token: its own number, kept in the dialogue of the admin who opened it."""
    rows = _toggles(lang, mask, lambda i: UserAct(act="pick", uid=uid, roles=mask ^ 1 << i, was=token).pack())
    register = UserAct(act="reg", uid=uid, roles=mask, was=token).pack()
    drop = UserAct(act="drop", uid=uid, roles=mask, was=token).pack()
    rows.append(
        [
            InlineKeyboardButton(text=t(lang, "admin.button.register"), callback_data=register),
            InlineKeyboardButton(text=t(lang, "admin.button.drop"), callback_data=drop),
        ]
    )
    text = render.text(lang, "admin.user.pick_roles", name=name, id=uid, roles=role_names(lang, roles_in(mask)))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def user_list(page: int, lang: str, reads: Reads, render: Renderer) -> tuple[str, InlineKeyboardMarkup | None]:
    everyone = await reads.users()
    pages = max(1, -(-len(everyone) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = everyone[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    roles = {u.id: role_names(lang, u.roles) for u in shown}
    text = render.render("admin/user_list.html", lang, users=shown, roles=roles, page=page + 1, pages=pages, total=len(everyone))
    buttons = [
        InlineKeyboardButton(text=f"{u.name[:24]} · {u.id}", callback_data=UserAct(act="card", uid=u.id, roles=0, was=0).pack())
        for u in shown
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = [
        InlineKeyboardButton(text=t(lang, f"button.{label}"), callback_data=UserPage(page=to).pack())
        for label, to, show in (("prev", page - 1, page > 0), ("next", page + 1, page + 1 < pages))
        if show
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=[*rows, nav] if nav else rows) if rows else None


async def greet(bot: Bot, user: User, admin: User, render: Renderer) -> str:
    """Hello to someone just registered, in their language; the admin.user key saying how it went.
    The registration is committed by then, so no failure to greet may surface as an error (the
    admin would read "something went wrong", and a retry only "already exists")."""
    text = render.render(
        "admin/welcome.html", user.language, user=user, admin=admin.name, roles=role_names(user.language, user.roles)
    )
    try:
        await bot.send_message(user.id, text)
    except (TelegramForbiddenError, TelegramBadRequest):  # they never pressed Start, or blocked the bot
        return "not_greeted"
    except TelegramRetryAfter:  # flood control: a greeting is not worth the wait
        return "not_greeted_busy"
    except (TelegramAPIError, TelegramNetworkError):  # a server error, a timeout, a dropped connection
        log.warning("greeting %s failed", user.id, exc_info=True)
        return "not_greeted_failed"
    return "greeted"


async def register(
    target: Message, who: tuple[int, str, tuple[str, ...], str], actor: User, lang: str, env: dict[str, Any]
) -> None:
    uid, name, roles, their_lang = who
    bus: Bus = env["bus"]
    render: Renderer = env["render"]
    user: User = await bus.handle(
        c.RegisterUser(actor_id=actor.id, user_id=uid, name=name, roles=roles, language=their_lang, idempotency_key=env["idem"])
    )
    greeting = await greet(env["bot"], user, actor, render)
    said = render.text(lang, "admin.user.added", name=user.name, id=user.id, roles=role_names(lang, user.roles))
    said += "\n" + render.text(lang, f"admin.user.{greeting}")
    await target.answer(said)
    text, markup = user_card(user, lang, render)
    await target.answer(text, reply_markup=markup)


async def _target(reads: Reads, words: list[str]) -> User:
    uid = user_id(words[1] if len(words) > 1 else "")
    user = await reads.user(uid)
    if user is None:
        raise NotFound("user", uid)
    return user


async def _set_roles(bus: Bus, actors: Forgets, command: c.SetUserRoles) -> User:
    """The change, and the middleware forgets the person's remembered registration: it counts at once."""
    user: User = await bus.handle(command)
    actors.forget(user.id)
    return user


def router() -> Router:
    r = Router(name="users")

    @r.message(Command("users", magic=F.args.regexp(r"(?i)^\s*add\s*$")))
    async def add_guided(message: Message, state: FSMContext, actor: User, lang: str, render: Renderer) -> None:
        actor.require(ADMINISTRATION, "manage_users")
        await state.clear()
        await state.set_state(AddingUser.who)
        await message.answer(render.text(lang, "admin.user.ask_who"))

    @r.message(Command("users", magic=F.args.regexp(r"(?i)^\s*add\s")))
    async def add_line(message: Message, command: CommandObject, actor: User, lang: str, settings: Settings, **env: Any) -> None:
        actor.require(ADMINISTRATION, "manage_users")
        uid, name, roles, their_lang = parse_new_user((command.args or "").strip()[3:])
        await register(message, (uid, name, roles, their_lang or settings.company.language), actor, lang, env)

    @r.message(Command("users", magic=F.args.regexp(r"(?i)^\s*(off|on|roles)(\s|$)")))
    async def change(
        message: Message,
        command: CommandObject,
        actor: User,
        lang: str,
        bus: Bus,
        reads: Reads,
        render: Renderer,
        actors: Forgets,
        idem: str,
    ) -> None:
        actor.require(ADMINISTRATION, "manage_users")
        words = tokens(command.args or "")
        verb, target = words[0].lower(), await _target(reads, words)
        roles = parse_role_changes(words[2:], target.roles) if verb == "roles" else tuple(target.roles)
        active = {"off": False, "on": True}.get(verb, target.active)
        user = await _set_roles(
            bus, actors, c.SetUserRoles(actor_id=actor.id, user_id=target.id, roles=roles, active=active, idempotency_key=idem)
        )
        text, markup = user_card(user, lang, render)
        await message.answer(render.text(lang, f"admin.user.done_{verb}", name=user.name, id=user.id))
        await message.answer(text, reply_markup=markup)

    @r.message(Command("users"))
    async def show(message: Message, command: CommandObject, actor: User, lang: str, reads: Reads, render: Renderer) -> None:
        actor.require(ADMINISTRATION, "manage_users")
        words = tokens(command.args or "")
        if not words:
            text, markup = await user_list(0, lang, reads, render)
        elif len(words) == 1 and words[0].isdigit():
            text, markup = user_card(await _target(reads, ["", words[0]]), lang, render)
        else:
            text, markup = render.text(lang, "admin.user.usage"), None
        await message.answer(text, reply_markup=markup)

    @r.message(StateFilter(AddingUser.who), F.forward_origin | TEXT)
    async def who(message: Message, state: FSMContext, lang: str, reads: Reads, render: Renderer, settings: Settings) -> None:
        origin = message.forward_origin
        if origin is not None and not isinstance(origin, MessageOriginUser):
            await message.answer(render.text(lang, "admin.user.hidden"))  # hidden by their privacy settings, or a chat
            return
        if isinstance(origin, MessageOriginUser):
            person = origin.sender_user
            if person.is_bot:
                raise InvalidInput("user_id", str(person.id), "is_a_bot")
            uid, name = person.id, check_name(person.full_name[:64], field="user_name", limit=64)
            their = pick_language(person.language_code, settings.company.language)
        else:
            words = tokens(message.text or "")
            uid = user_id(words[0] if words else "")
            name, their = check_name(" ".join(words[1:]), field="user_name", limit=64), settings.company.language
        if await reads.user(uid) is not None:
            raise DuplicateCode("user", str(uid))
        token = secrets.randbelow(2**31 - 1) + 1
        await state.set_state(AddingUser.roles)
        await state.set_data({"uid": uid, "name": name, "lang": their, "picker": token})
        text, markup = picker(uid, name, 0, token, lang, render)
        await message.answer(text, reply_markup=markup)

    # Answered after the handler, so a press on a picker that is not the presser's own can say so in a toast.
    @r.callback_query(UserAct.filter(F.act.in_({"pick", "reg", "drop"})), flags={"callback_answer": {"pre": False}})
    async def picking(
        query: CallbackQuery,
        callback_data: UserAct,
        callback_answer: CallbackAnswer,
        state: FSMContext,
        raw_state: str | None,
        actor: User,
        lang: str,
        **env: Any,
    ) -> None:
        actor.require(ADMINISTRATION, "manage_users")
        data, render = await state.get_data(), env["render"]
        if not isinstance(query.message, Message):
            return
        mine = data.get("uid") == callback_data.uid and data.get("picker") == callback_data.was
        if raw_state != AddingUser.roles.state or not mine:
            # Another admin's picker, an older one of theirs, or one finished already: nothing to do, nothing to redraw.
            callback_answer.text = t(lang, "admin.user.picker_gone")
            return
        if callback_data.act == "pick":
            text, markup = picker(callback_data.uid, data["name"], callback_data.roles, callback_data.was, lang, render)
            await redraw(query.message, text, markup)
            return
        if callback_data.act == "reg":  # refused (no role ticked, say): the picker stays for another try
            roles = tuple(r.value for r in roles_in(callback_data.roles))
            await register(query.message, (callback_data.uid, data["name"], roles, data["lang"]), actor, lang, env)
        await state.clear()
        if callback_data.act == "reg":
            await unbutton(query.message)  # the picker stays as a record
        else:
            await query.message.edit_text(render.text(lang, "dialog.cancelled"))

    @r.callback_query(UserAct.filter(F.act.in_({"role", "off", "on"})))
    async def press(
        query: CallbackQuery,
        callback_data: UserAct,
        actor: User,
        lang: str,
        bus: Bus,
        reads: Reads,
        render: Renderer,
        actors: Forgets,
        idem: str,
    ) -> None:
        actor.require(ADMINISTRATION, "manage_users")
        target = await reads.user(callback_data.uid)
        if target is None or not isinstance(query.message, Message):
            return  # not a button we drew
        if seen(target) == callback_data.was:
            active = {"off": False, "on": True}.get(callback_data.act, target.active)
            roles = tuple(r.value for r in roles_in(callback_data.roles))
            command = c.SetUserRoles(actor_id=actor.id, user_id=target.id, roles=roles, active=active, idempotency_key=idem)
            target = await _set_roles(bus, actors, command)
        else:  # someone changed this person since the card was drawn: show them as they are now
            await query.message.answer(render.text(lang, "admin.user.changed", name=target.name))
        text, markup = user_card(target, lang, render)
        await redraw(query.message, text, markup)

    @r.callback_query(UserAct.filter(F.act == "card"))
    async def open_card(
        query: CallbackQuery, callback_data: UserAct, actor: User, lang: str, reads: Reads, render: Renderer
    ) -> None:
        actor.require(ADMINISTRATION, "manage_users")
        target = await reads.user(callback_data.uid)
        if target is not None and isinstance(query.message, Message):
            text, markup = user_card(target, lang, render)
            await query.message.answer(text, reply_markup=markup)

    @r.callback_query(UserPage.filter())
    async def page(query: CallbackQuery, callback_data: UserPage, actor: User, lang: str, reads: Reads, render: Renderer) -> None:
        actor.require(ADMINISTRATION, "manage_users")
        if isinstance(query.message, Message):
            await redraw(query.message, *await user_list(callback_data.page, lang, reads, render))

    return r
