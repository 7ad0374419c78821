"""How numbers and typed values look wherever people read them (cards, errors, the CLI)."""

from __future__ import annotations

from decimal import Decimal


def qty(value: Decimal | int | None) -> str:
    """10, 10.5, 1,000 — no trailing zeros, thousands grouped."""
    if value is None:
        return "—"
    d = Decimal(value).normalize()
    if d == d.to_integral():
        return f"{d.quantize(Decimal(1)):,}"
    return f"{d:,f}"


def signed_qty(value: Decimal | int) -> str:
    """+5, −2.5, +1,000: a change, with its sign."""
    return ("+" if value >= 0 else "-") + qty(abs(Decimal(value)))


def clip(value: object, limit: int = 60) -> str:
    """Keep one name (or a pasted page) from crowding out a whole message."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
