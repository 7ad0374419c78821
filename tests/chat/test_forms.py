"""The one-line forms (handlers/forms.py): pure parsing, every bad token named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.errors import InvalidInput
from handlers.forms import parse_adjustment, parse_day, parse_goods, parse_order, parse_unit_price, tokens


def test_tokens_make_full_width_plain() -> None:
    assert tokens("  A-1  １０ ＠２.５ ") == ["A-1", "10", "@2.5"]
    assert tokens("") == []


def test_parse_day() -> None:
    assert parse_day("2026-12-01") == date(2026, 12, 1)
    for bad in ["2026-13-01", "tomorrow", "", "01/12/2026"]:
        with pytest.raises(InvalidInput) as caught:
            parse_day(bad, "by")
        assert (caught.value.field, caught.value.value, caught.value.reason) == ("by", bad, "bad_date")


def test_unit_price() -> None:
    assert parse_unit_price("2.5") == Decimal("2.5")
    assert parse_unit_price("1,000") == Decimal(1000)
    with pytest.raises(InvalidInput, match="must_not_be_negative"):
        parse_unit_price("-1")
    with pytest.raises(InvalidInput, match="not_a_number"):
        parse_unit_price("abc")


def test_order_one_line_with_price_and_date() -> None:
    form = parse_order("ACME A-1 10 @2.5 B-2 1,000 BY 2026-12-01", "supplier")
    assert form.partner == "ACME"
    assert form.lines == (("A-1", Decimal(10), Decimal("2.5")), ("B-2", Decimal(1000), None))
    assert form.due == date(2026, 12, 1)


def test_order_full_width_input() -> None:
    form = parse_order("ACME A-1 １０ ＠３", "supplier")
    assert form.lines == (("A-1", Decimal(10), Decimal(3)),)
    assert form.due is None


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("", "supplier", "required"),
        ("ACME", "lines", "no_lines"),
        ("ACME A-1", "qty", "qty_missing"),
        ("ACME @5", "price", "price_without_line"),
        ("ACME A-1 0", "qty (A-1)", "must_be_positive"),
        ("ACME A-1 -1", "qty (A-1)", "must_be_positive"),
        ("ACME A-1 abc", "qty (A-1)", "not_a_number"),
        ("ACME A-1 1e99", "qty (A-1)", "not_a_number"),
        ("ACME A-1 99999999999999", "qty (A-1)", "too_large"),
        ("ACME A-1 1.2345", "qty (A-1)", "too_many_decimals"),
        ("ACME A-1 NaN", "qty (A-1)", "not_a_number"),
        ("ACME A-1 1 @-2", "price", "must_not_be_negative"),
        ("ACME A-1 1 @", "price", "not_a_number"),
        ("ACME A-1 1 by 2026-02-30", "by", "bad_date"),
    ],
)
def test_order_bad_tokens(text: str, field: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_order(text, "supplier")
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_goods_forms() -> None:
    assert parse_goods("po-2026-00001 all") == parse_goods("PO-2026-00001 全部")
    assert parse_goods("PO-1 all").lines is None
    form = parse_goods("PO-1 A-1 5 B-2 1,000")
    assert form.ref == "PO-1" and form.lines == (("A-1", Decimal(5)), ("B-2", Decimal(1000)))
    shipped = parse_goods("SO-1 all via SF 123", shipping=True)
    assert (shipped.lines, shipped.carrier, shipped.tracking) == (None, "SF", "123")
    shipped = parse_goods("SO-1 A-1 2 VIA SF 9", shipping=True)
    assert shipped.lines == (("A-1", Decimal(2)),) and shipped.carrier == "SF"
    # "via" means nothing when receiving: it is read as a sku.
    assert parse_goods("PO-1 via 2").lines == (("via", Decimal(2)),)


@pytest.mark.parametrize(
    ("text", "shipping", "reason"),
    [
        ("", False, "required"),
        ("PO-1", False, "all_or_lines"),
        ("PO-1 A-1", False, "qty_missing"),
        ("PO-1 A-1 0", False, "must_be_positive"),
        ("SO-1 all via SF", True, "via_carrier_tracking"),
        ("SO-1 all via SF 1 2", True, "via_carrier_tracking"),
        ("SO-1 via SF 1", True, "all_or_lines"),
    ],
)
def test_goods_bad_forms(text: str, shipping: bool, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_goods(text, shipping=shipping)
    assert caught.value.reason == reason


def test_adjustment_forms() -> None:
    assert parse_adjustment("A-1 +5 found in back room") == parse_adjustment("A-1 ＋５ found in back room")
    plus = parse_adjustment("A-1 +5 found in back room")
    assert (plus.delta, plus.counted, plus.reason) == (Decimal(5), None, "found in back room")
    assert parse_adjustment("A-1 -2.5 broken").delta == Decimal("-2.5")
    counted = parse_adjustment("A-1 =0 counted")
    assert (counted.delta, counted.counted) == (None, Decimal(0))
    assert parse_adjustment("A-1 +1").reason == ""


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "adjust_form"),
        ("A-1", "adjust_form"),
        ("A-1 5 x", "adjust_form"),
        ("A-1 + x", "adjust_form"),
        ("A-1 = x", "not_a_number"),
        ("A-1 +0 x", "must_be_positive"),
        ("A-1 -abc x", "not_a_number"),
        ("A-1 +1e99 x", "not_a_number"),
        ("A-1 =-1 x", "must_be_positive"),
    ],
)
def test_adjustment_bad_forms(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_adjustment(text)
    assert caught.value.reason == reason
