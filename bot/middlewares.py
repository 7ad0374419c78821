"""Middlewares only inject (who is acting, in which language) and guard (a redelivered update
is dropped). The only write: a person's language when their app's changed and they never chose
one in /settings (alerts need it stored)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, InlineQuery, Message, TelegramObject, Update
from aiogram.types import User as TelegramUser

from domain.master import User
from domain.ports import Preferences, Reads
from notifications.i18n import pick_language, t

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
log = logging.getLogger("caixiao.updates")


class SeenUpdates(BaseMiddleware):
    """Telegram redelivers an update when it did not get our answer in time; the same update_id
    is handled once per process. Effects that must hold across processes and restarts also carry
    the update as an idempotency key stored with the change (domain.commands.Command)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if event.update_id in self._seen:
            log.info("update=%s outcome=duplicate", event.update_id)
            return None
        self._seen[event.update_id] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await handler(event, data)
        except Exception:
            outcome = "error"
            raise
        finally:
            if log.isEnabledFor(logging.INFO):  # finding the kind and sender costs more than the log
                log.info(
                    "update=%s kind=%s user=%s ms=%.1f outcome=%s",
                    event.update_id,
                    event.event_type,
                    _sender_id(event),
                    (time.perf_counter() - started) * 1000,
                    outcome,
                )


def _sender_id(update: Update) -> int | None:
    event = update.event
    user = getattr(event, "from_user", None)
    return user.id if user is not None else None


def language_of(user: User | None, telegram_code: str | None, default: str) -> str:
    """The language picked in /settings, else the Telegram app's, else the registered one."""
    if user is not None and user.language_chosen:
        return user.language
    return pick_language(telegram_code, user.language if user else default)


class Actor(BaseMiddleware):
    """Loads the acting person's registration (a read) and picks their language. Unregistered
    or deactivated people get a polite refusal with their Telegram id, and nothing else."""

    def __init__(self, reads: Reads, default_language: str, ttl: float = 10.0, preferences: Preferences | None = None) -> None:
        self.reads, self.default_language, self.ttl, self.preferences = reads, default_language, ttl, preferences
        # Seconds-old registrations are fine for choosing buttons and language; every change
        # re-reads the person inside its own transaction, so a role removed a moment ago counts.
        self._known: dict[int, tuple[User, float]] = {}
        self._writes: set[asyncio.Task[None]] = set()

    async def _user(self, user_id: int) -> User | None:
        now = time.monotonic()
        hit = self._known.get(user_id)
        if hit is not None and hit[1] > now:
            return hit[0]
        user = await self.reads.user(user_id)
        if user is not None:  # someone just registered must not wait for a stale "unknown"
            if len(self._known) > 50_000:
                self._known.clear()
            self._known[user_id] = (user, now + self.ttl)
        return user

    async def language(self, sender: TelegramUser | None) -> str:
        """The language to answer this person in, as the handlers get it (for the error router,
        which runs outside the handlers' data)."""
        user = await self._user(sender.id) if sender is not None else None
        return language_of(user, sender.language_code if sender else None, self.default_language)

    async def _follow(self, user_id: int, lang: str) -> None:
        assert self.preferences is not None
        try:
            await self.preferences.follow_app_language(user_id, lang)
        except Exception:  # the next message tries again; alerts meanwhile use the old language
            log.warning("could not store the app language of user %s", user_id, exc_info=True)
            self.forget(user_id)

    async def settle(self) -> None:
        """Wait for the language writes started so far (at shutdown, and in tests)."""
        while self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)

    def forget(self, user_id: int) -> None:
        """Drop a remembered registration: a deactivation or a language change counts at once."""
        self._known.pop(user_id, None)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        sender = getattr(event, "from_user", None)
        if sender is None or sender.is_bot:
            return None
        user = await self._user(sender.id)
        lang = data["lang"] = language_of(user, sender.language_code, self.default_language)
        if user is None or not user.active:
            await _refuse(event, t(lang, "access.unregistered" if user is None else "access.inactive", id=sender.id))
            return None
        if self.preferences is not None and not user.language_chosen and user.language != lang:
            # The one write this middleware makes, once per change of the app's language:
            # alerts reach people when they are not talking to the bot, in the stored language.
            # It is no part of this answer, so the answer does not wait for it.
            task = asyncio.create_task(self._follow(user.id, lang))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)
            user = replace(user, language=lang)
            self._known[user.id] = (user, time.monotonic() + self.ttl)
        data["actor"] = user
        return await handler(event, data)


async def _refuse(event: TelegramObject, text: str) -> None:
    if isinstance(event, Message):
        await event.answer(text, parse_mode=None)
    elif isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    elif isinstance(event, InlineQuery):
        await event.answer([], cache_time=5, is_personal=True)
