"""The one-line forms of the guided flows (SPEC §3.1), parsed into plain values.

Pure functions: a bad token raises InvalidInput naming the field, the text and what is wrong,
so the person is told exactly which word to fix.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.errors import InvalidInput
from domain.values import parse_decimal, parse_qty

LineSpec = tuple[str, Decimal, Decimal | None]
QtySpec = tuple[str, Decimal]


def tokens(text: str) -> list[str]:
    """Words, with full-width digits and signs (１０, ＋, ＠) made plain."""
    return [unicodedata.normalize("NFKC", w) for w in text.split()]


def first_word(text: str) -> str:
    """The first of `tokens(text)`, or "" for blank text."""
    words = tokens(text)
    return words[0] if words else ""


def parse_day(text: str, field: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(field, text, "bad_date") from exc


def parse_unit_price(text: str) -> Decimal:
    """A price typed after @ (checked against the currency by the domain)."""
    value = parse_decimal(text, field="price")
    if value < 0:
        raise InvalidInput("price", text, "must_not_be_negative")
    return value


@dataclass(frozen=True, slots=True)
class OrderForm:
    partner: str
    lines: tuple[LineSpec, ...]
    due: date | None


def parse_order(text: str, partner_field: str) -> OrderForm:
    """`<partner> <sku> <qty> [@<price>] [<sku> <qty> [@<price>] …] [by <YYYY-MM-DD>]`"""
    words = tokens(text)
    if not words:
        raise InvalidInput(partner_field, "", "required")
    partner, rest = words[0], words[1:]
    due: date | None = None
    if len(rest) >= 2 and rest[-2].lower() == "by":
        due = parse_day(rest[-1], "by")
        rest = rest[:-2]
    lines: list[LineSpec] = []
    i = 0
    while i < len(rest):
        sku = rest[i]
        if sku.startswith("@"):
            raise InvalidInput("price", sku, "price_without_line")
        if i + 1 >= len(rest):
            raise InvalidInput("qty", sku, "qty_missing")
        qty = parse_qty(rest[i + 1], field=f"qty ({sku})")
        price: Decimal | None = None
        i += 2
        if i < len(rest) and rest[i].startswith("@"):
            price = parse_unit_price(rest[i][1:] or "?")
            i += 1
        lines.append((sku, qty, price))
    if not lines:
        raise InvalidInput("lines", "", "no_lines")
    return OrderForm(partner, tuple(lines), due)


@dataclass(frozen=True, slots=True)
class GoodsForm:
    ref: str
    lines: tuple[QtySpec, ...] | None  # None: "all"
    carrier: str | None = None
    tracking: str | None = None


def parse_goods(text: str, *, shipping: bool = False) -> GoodsForm:
    """`<ref> all` or `<ref> <sku> <qty> …`, shipping also `[via <carrier> <tracking>]`."""
    words = tokens(text)
    if not words:
        raise InvalidInput("ref", "", "required")
    ref, rest = words[0].upper(), words[1:]
    carrier = tracking = None
    if shipping and "via" in [w.lower() for w in rest]:
        at = [w.lower() for w in rest].index("via")
        via = rest[at + 1 :]
        if len(via) != 2:
            raise InvalidInput("via", " ".join(via), "via_carrier_tracking")
        carrier, tracking = via
        rest = rest[:at]
    if not rest:
        raise InvalidInput("lines", "", "all_or_lines")
    if len(rest) == 1 and rest[0].lower() in ("all", "全部"):
        return GoodsForm(ref, None, carrier, tracking)
    if len(rest) % 2:
        raise InvalidInput("qty", rest[-1], "qty_missing")
    lines = tuple((rest[i], parse_qty(rest[i + 1], field=f"qty ({rest[i]})")) for i in range(0, len(rest), 2))
    return GoodsForm(ref, lines, carrier, tracking)


@dataclass(frozen=True, slots=True)
class AdjustForm:
    sku: str
    delta: Decimal | None
    counted: Decimal | None
    reason: str


def parse_adjustment(text: str) -> AdjustForm:
    """`<sku> <+n|-n|=n> <reason…>`"""
    words = text.split(maxsplit=2)
    if len(words) < 2:
        raise InvalidInput("change", "", "adjust_form")
    sku, change = words[0], unicodedata.normalize("NFKC", words[1])
    reason = words[2].strip() if len(words) > 2 else ""
    if change[:1] == "=":
        return AdjustForm(sku, None, parse_qty(change[1:] or "?", field="counted", allow_zero=True), reason)
    if change[:1] in "+-" and change[1:]:
        value = parse_qty(change[1:], field="change")
        return AdjustForm(sku, value if change[0] == "+" else -value, None, reason)
    raise InvalidInput("change", change, "adjust_form")
