"""Button payloads that messages rendered outside the bot layer carry (the digest's "draft PO"),
built and read here so the handler that answers the press agrees with whoever drew it.
Pure: no aiogram, no storage; Telegram allows 64 bytes of callback data."""

from __future__ import annotations

from domain.master import CODE_RE

DRAFT_PO = "dpo"


def draft_po_data(sku: str) -> str:
    """The payload of "draft a PO for this item": the prefix and the SKU (at most 36 bytes)."""
    if not CODE_RE.fullmatch(sku):
        raise ValueError(f"not a SKU: {sku!r}")
    return f"{DRAFT_PO}:{sku}"


def draft_po_sku(data: str) -> str | None:
    """The SKU of a "draft PO" payload; None for anything else (a forged payload included)."""
    prefix, _, sku = data.partition(":")
    return sku if prefix == DRAFT_PO and CODE_RE.fullmatch(sku) else None
