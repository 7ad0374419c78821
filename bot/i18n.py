"""Message catalogs (bot/locales/<lang>.toml): every text a person sees, in zh and en."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from domain import errors as e
from notifications.i18n import read_catalog

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")


@cache
def catalog(lang: str) -> dict[str, str]:
    return read_catalog(LOCALES / f"{lang}.toml")


def t(lang: str, key: str, **values: object) -> str:
    text = catalog(lang if lang in LANGUAGES else "en").get(key) or catalog("en")[key]
    return text.format(**values) if values else text


def describe_error(exc: e.DomainError, lang: str) -> str:
    """One friendly sentence for a domain error, with the details the user needs."""
    match exc:
        case e.InsufficientStock():
            lines = "; ".join(
                t(lang, "error.shortage_line", sku=s.sku, warehouse=s.warehouse, requested=s.requested, available=s.available)
                for s in exc.shortages
            )
            return t(lang, "error.insufficient_stock", lines=lines)
        case e.InvalidInput():
            reason = t(lang, f"reason.{exc.reason}") if f"reason.{exc.reason}" in catalog("en") else exc.reason
            return t(lang, "error.invalid_input", field=exc.field, value=exc.value, reason=reason)
        case e.NotFound():
            return t(lang, "error.not_found", kind=exc.kind, ref=exc.ref)
        case e.DuplicateCode():
            return t(lang, "error.duplicate", kind=exc.kind, ref=exc.ref)
        case e.PermissionDenied():
            return t(lang, "error.permission_denied", action=exc.action, roles=", ".join(sorted(exc.allowed)) or "-")
        case e.AlreadyDecided():
            return t(lang, "error.already_decided", ref=exc.ref, state=exc.state)
        case e.InvalidTransition():
            return t(lang, "error.wrong_state", ref=exc.ref, state=exc.state, action=exc.action)
        case e.SelfApproval():
            return t(lang, "error.self_approval", ref=exc.ref)
        case e.AlreadyApproved():
            return t(lang, "error.already_approved", ref=exc.ref)
        case e.ReasonRequired():
            return t(lang, "error.reason_required", action=exc.action)
        case e.OverReceipt():
            return t(lang, "error.over_receipt", sku=exc.sku, ordered=exc.ordered, received=exc.received, allowed=exc.allowed)
        case e.OverShipment():
            return t(lang, "error.over_shipment", sku=exc.sku, remaining=exc.remaining)
        case e.LineConflict():
            return t(lang, f"error.line.{exc.reason}", sku=exc.sku, limit=exc.limit)
        case _:
            return t(lang, "error.busy")
