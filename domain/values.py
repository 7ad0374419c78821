"""Quantities, money and dates: Decimal only, never float."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, tzinfo
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from domain.errors import InvalidInput

QTY_PLACES = 3
QTY_QUANTUM = Decimal(1).scaleb(-QTY_PLACES)
# Far beyond any real order line, small enough that totals fit a 64-bit column scaled by 10^4.
MAX_QTY = Decimal("1000000000")
MAX_PRICE = Decimal("100000000")

# ISO 4217 minor units for the currencies a trading company is likely to meet.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3}
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")

_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def _normalise(text: str) -> str:
    # NFKC folds full-width digits, commas and points (１，０００．５) into ASCII.
    folded = unicodedata.normalize("NFKC", text).strip().replace("，", ",").replace("。", ".")
    return folded.replace(" ", "").replace("_", "")


def parse_decimal(text: str, *, field: str) -> Decimal:
    """Read a number as people type it: 10, 10.5, 1,000, full-width digits."""
    raw = _normalise(text)
    if not raw or not (_PLAIN.match(raw) or _GROUPED.match(raw)):
        raise InvalidInput(field, text, "not_a_number")
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regexes admit only valid literals
        raise InvalidInput(field, text, "not_a_number") from exc
    return value


def check_qty(value: Decimal, *, field: str = "qty", allow_zero: bool = False) -> Decimal:
    """A positive quantity with at most three decimals, below MAX_QTY."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(field, str(value), "not_a_number")
    if value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput(field, str(value), "must_be_positive")
    if value >= MAX_QTY:
        raise InvalidInput(field, str(value), "too_large")
    if value != value.quantize(QTY_QUANTUM, rounding=ROUND_HALF_UP):
        raise InvalidInput(field, str(value), "too_many_decimals")
    return value.quantize(QTY_QUANTUM)


def check_signed_qty(value: Decimal, *, field: str = "qty") -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(field, str(value), "not_a_number")
    if value == 0:
        raise InvalidInput(field, str(value), "must_not_be_zero")
    return check_qty(abs(value), field=field) * (1 if value > 0 else -1)


def parse_qty(text: str, *, field: str = "qty", allow_zero: bool = False) -> Decimal:
    return check_qty(parse_decimal(text, field=field), field=field, allow_zero=allow_zero)


def check_price(value: Decimal, currency: str, *, field: str = "price") -> Decimal:
    """A non-negative unit price; it may carry more precision than the currency's minor unit."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(field, str(value), "not_a_number")
    if value < 0:
        raise InvalidInput(field, str(value), "must_not_be_negative")
    if value >= MAX_PRICE:
        raise InvalidInput(field, str(value), "too_large")
    if value != value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP):
        raise InvalidInput(field, str(value), "too_many_decimals")
    return value.quantize(Decimal("0.0001"))


def parse_price(text: str, currency: str, *, field: str = "price") -> Decimal:
    return check_price(parse_decimal(text, field=field), currency, field=field)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def line_total(qty: Decimal, price: Decimal, currency: str) -> Decimal:
    return round_money(qty * price, currency)


def round_up_to_multiple(qty: Decimal, multiple: Decimal) -> Decimal:
    if multiple <= 0:
        return qty
    return (qty / multiple).to_integral_value(rounding=ROUND_CEILING) * multiple


def local_date(moment: datetime, tz: tzinfo) -> date:
    """The business date of an instant in the company time zone."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(tz).date()
