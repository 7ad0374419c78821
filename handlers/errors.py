"""Every failure a person can cause becomes one friendly message; nothing else reaches them."""

from __future__ import annotations

import html
import logging

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message

from bot.i18n import describe_error
from bot.i18n import t as core_t
from domain.errors import (
    AlreadyApplied,
    ConcurrencyConflict,
    DomainError,
    InsufficientStock,
    InvalidInput,
    NotFound,
    Outdated,
    OverReceipt,
    OverShipment,
)
from notifications.i18n import catalog, pick_language, t
from notifications.render import clip, qty

log = logging.getLogger("caixiao.handlers")


def _reply_target(event: ErrorEvent) -> tuple[Message | None, str]:
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
    return target, lang


def explain(exc: DomainError, lang: str) -> str:
    if isinstance(exc, Outdated):
        return t(lang, "error.outdated", ref=exc.ref, state=t(lang, f"status.{exc.state}"))
    if isinstance(exc, ConcurrencyConflict):
        return t(lang, "error.busy")
    if isinstance(exc, AlreadyApplied):  # a redelivered update that a restart made us see again
        return t(lang, "error.already_applied")
    if isinstance(exc, InvalidInput):
        # The value is what the person typed: it may be a page long, and the answer may not be.
        value = clip(exc.value, 60)
        if f"reason.{exc.reason}" in catalog("en"):  # the chat forms' own reasons
            return core_t(lang, "error.invalid_input", field=exc.field, value=value, reason=t(lang, f"reason.{exc.reason}"))
        return describe_error(InvalidInput(exc.field, value, exc.reason), lang)
    if isinstance(exc, NotFound):
        return describe_error(NotFound(exc.kind, clip(exc.ref, 60)), lang)
    # Quantities as the cards show them (10, 2.5, 1,000), not as stored (10.000).
    if isinstance(exc, OverReceipt):
        amounts = {"ordered": qty(exc.ordered), "received": qty(exc.received), "allowed": qty(exc.allowed)}
        return core_t(lang, "error.over_receipt", sku=exc.sku, **amounts)
    if isinstance(exc, OverShipment):
        return core_t(lang, "error.over_shipment", sku=exc.sku, remaining=qty(exc.remaining))
    if isinstance(exc, InsufficientStock):
        lines = "; ".join(
            core_t(
                lang,
                "error.shortage_line",
                sku=s.sku,
                warehouse=s.warehouse,
                requested=qty(s.requested),
                available=qty(s.available),
            )
            for s in exc.shortages
        )
        return core_t(lang, "error.insufficient_stock", lines=lines)
    return describe_error(exc, lang)


def router() -> Router:
    r = Router(name="errors")

    @r.errors(ExceptionTypeFilter(DomainError))
    async def domain_error(event: ErrorEvent) -> None:
        target, lang = _reply_target(event)
        assert isinstance(event.exception, DomainError)
        if target is not None:
            await target.answer(html.escape(explain(event.exception, lang), quote=False))

    @r.errors()
    async def unexpected(event: ErrorEvent) -> None:
        log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
        target, lang = _reply_target(event)
        if target is not None:
            await target.answer(t(lang, "error.generic"))

    return r
