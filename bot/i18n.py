"""Message catalogs: the chat's (notifications/locales) with the command line's own sections
(bot/locales/<lang>.toml and bot/locales/<lang>/*.toml) on top — one vocabulary of statuses, reasons and errors, zh and en."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from domain import errors as e
from notifications.formats import clip, qty
from notifications.i18n import catalog as chat_catalog
from notifications.i18n import read_catalogs

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")


@cache
def catalog(lang: str) -> dict[str, str]:
    return chat_catalog(lang) | read_catalogs(LOCALES, lang)


def t(lang: str, key: str, **values: object) -> str:
    text = catalog(lang if lang in LANGUAGES else "en").get(key) or catalog("en")[key]
    return text.format(**values) if values else text


def _status(lang: str, state: str) -> str:
    return t(lang, f"status.{state}") if f"status.{state}" in catalog("en") else state


def term(lang: str, group: str, word: str) -> str:
    """A code word (a field, a kind of record, an action, a role) in the reader's language. A field
    may carry what it is about — `qty (A-1)` — which stays as typed."""
    base, _, about = word.partition(" ")
    key = f"term.{group}.{base}" if group != "role" else f"role.{base}"
    named = t(lang, key) if key in catalog("en") else base
    return f"{named} {about}".rstrip()


def describe_error(exc: e.DomainError, lang: str) -> str:
    """One friendly sentence for a domain error, with the details the user needs. Values typed by
    people are clipped (a pasted page must not become a page-long answer); quantities are shown
    as cards show them (10, 2.5, 1,000)."""
    match exc:
        case e.InsufficientStock():
            lines = "; ".join(
                t(
                    lang,
                    "error.shortage_line",
                    sku=s.sku,
                    warehouse=s.warehouse,
                    requested=qty(s.requested),
                    available=qty(s.available),
                )
                for s in exc.shortages
            )
            return t(lang, "error.insufficient_stock", lines=lines)
        case e.InvalidInput():
            reason = t(lang, f"reason.{exc.reason}") if f"reason.{exc.reason}" in catalog("en") else exc.reason
            return t(lang, "error.invalid_input", field=term(lang, "field", exc.field), value=clip(exc.value), reason=reason)
        case e.NotFound():
            return t(lang, "error.not_found", kind=term(lang, "kind", exc.kind), ref=clip(exc.ref))
        case e.DuplicateCode():
            return t(lang, "error.duplicate", kind=term(lang, "kind", exc.kind), ref=clip(exc.ref))
        case e.PermissionDenied():
            roles = ", ".join(term(lang, "role", r) for r in sorted(exc.allowed)) or "-"
            return t(lang, "error.permission_denied", action=term(lang, "action", exc.action), roles=roles)
        case e.Outdated():
            return t(lang, "error.outdated", ref=exc.ref, state=_status(lang, exc.state))
        case e.AlreadyApplied():  # a redelivered update, seen again after a restart
            return t(lang, "error.already_applied")
        case e.AlreadyDecided():
            return t(lang, "error.already_decided", ref=exc.ref, state=_status(lang, exc.state))
        case e.InvalidTransition():
            return t(
                lang, "error.wrong_state", ref=exc.ref, state=_status(lang, exc.state), action=term(lang, "action", exc.action)
            )
        case e.SelfApproval():
            return t(lang, "error.self_approval", ref=exc.ref)
        case e.AlreadyApproved():
            return t(lang, "error.already_approved", ref=exc.ref)
        case e.ReasonRequired():
            return t(lang, "error.reason_required", action=term(lang, "action", exc.action))
        case e.OverReceipt():
            amounts = {"ordered": qty(exc.ordered), "received": qty(exc.received), "allowed": qty(exc.allowed)}
            return t(lang, "error.over_receipt", sku=exc.sku, **amounts)
        case e.OverShipment():
            return t(lang, "error.over_shipment", sku=exc.sku, remaining=qty(exc.remaining))
        case e.LineConflict():
            return t(lang, f"error.line.{exc.reason}", sku=exc.sku, limit=qty(exc.limit))
        case _:  # ConcurrencyConflict after every retry
            return t(lang, "error.busy")
