"""/settings (everyone): the language the bot speaks to me, and which alerts I get personally.

A language picked here wins over the Telegram app's; an alert kind switched off here stops
personal messages of that kind (group channels bound with /bind are not personal).

A panel's buttons name whose panel it is: in a group, a colleague's press on my panel changes
nothing for anyone and leaves the panel as it is (they are told to open their own).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.callbacks import SettingsAct
from domain.alerts import PERSONAL_KINDS as KINDS
from domain.master import LANGUAGES, User
from domain.ports import Preferences
from handlers.cards import redraw
from handlers.users import Forgets
from notifications.i18n import t
from notifications.render import Renderer


async def panel(actor: User, lang: str, preferences: Preferences, render: Renderer) -> tuple[str, InlineKeyboardMarkup]:
    muted = await preferences.muted(actor.id)
    languages = [
        InlineKeyboardButton(
            text=("✓ " if code == lang else "") + t(code, "settings.language_name"),
            callback_data=SettingsAct(act="lang", value=code, uid=actor.id).pack(),
        )
        for code in LANGUAGES
    ]
    alerts = [
        InlineKeyboardButton(
            text=("🔕 " if kind in muted else "🔔 ") + t(lang, f"settings.kind.{kind}"),
            callback_data=SettingsAct(act="unmute" if kind in muted else "mute", value=kind, uid=actor.id).pack(),
        )
        for kind in KINDS
    ]
    rows = [languages, *(alerts[i : i + 2] for i in range(0, len(alerts), 2))]
    text = render.render("admin/settings.html", lang, kinds=KINDS, muted=muted)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def router() -> Router:
    r = Router(name="settings")

    @r.message(Command("settings"))
    async def settings(message: Message, actor: User, lang: str, preferences: Preferences, render: Renderer) -> None:
        text, markup = await panel(actor, lang, preferences, render)
        await message.answer(text, reply_markup=markup)

    # Answered after the handler, so a press on someone else's panel can say so in a toast.
    @r.callback_query(SettingsAct.filter(), flags={"callback_answer": {"pre": False}})
    async def press(
        query: CallbackQuery,
        callback_data: SettingsAct,
        callback_answer: CallbackAnswer,
        actor: User,
        lang: str,
        preferences: Preferences,
        render: Renderer,
        actors: Forgets,
    ) -> None:
        act, value = callback_data.act, callback_data.value
        drawn = (act == "lang" and value in LANGUAGES) or (act in ("mute", "unmute") and value in KINDS)
        if not drawn or not isinstance(query.message, Message):
            return  # not a button we drew
        if callback_data.uid != actor.id:
            callback_answer.text = t(lang, "settings.not_yours")
            return
        if act == "lang":
            await preferences.set_language(actor.id, value)
            actors.forget(actor.id)
            lang = value
        else:
            await preferences.set_muted(actor.id, value, act == "mute")
        await redraw(query.message, *await panel(actor, lang, preferences, render))

    return r
