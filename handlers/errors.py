"""Every failure a person can cause becomes one friendly message; nothing else reaches them."""

from __future__ import annotations

import html
import logging
from typing import Protocol

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message, User

from bot.i18n import describe_error
from domain.errors import DomainError
from notifications.i18n import pick_language, t

log = logging.getLogger("caixiao.handlers")


class Languages(Protocol):
    """bot.middlewares.Actor: the language the person is answered in (their /settings choice first)."""

    async def language(self, sender: User | None) -> str: ...


async def _reply_target(event: ErrorEvent, actors: Languages | None = None) -> tuple[Message | None, str]:
    update = event.update
    sender = None
    target: Message | None = None
    if update.message is not None:
        target, sender = update.message, update.message.from_user
    elif update.callback_query is not None:
        query = update.callback_query
        sender = query.from_user
        target = query.message if isinstance(query.message, Message) else None
    lang = pick_language(sender.language_code if sender else None, "zh")
    if actors is not None:
        try:
            lang = await actors.language(sender)
        except Exception:  # the failure may be the database itself: an apology in the app's language beats none
            log.warning("no stored language for the error reply", exc_info=True)
    return target, lang


def router() -> Router:
    r = Router(name="errors")

    @r.errors(ExceptionTypeFilter(DomainError))
    async def domain_error(event: ErrorEvent, actors: Languages | None = None) -> None:
        target, lang = await _reply_target(event, actors)
        assert isinstance(event.exception, DomainError)
        if target is not None:
            await target.answer(html.escape(describe_error(event.exception, lang), quote=False))

    @r.errors()
    async def unexpected(event: ErrorEvent, actors: Languages | None = None) -> None:
        log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
        target, lang = await _reply_target(event, actors)
        if target is not None:
            await target.answer(t(lang, "error.generic"))

    return r
