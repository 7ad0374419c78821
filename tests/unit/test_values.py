"""Quantities, money and business dates: Decimal only, parsed the way people type them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.errors import InvalidInput
from domain.values import (
    check_price,
    check_qty,
    check_signed_qty,
    line_total,
    local_date,
    minor_units,
    parse_price,
    parse_qty,
    round_money,
    round_up_to_multiple,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("10", "10"),
        ("10.5", "10.5"),
        ("0.001", "0.001"),
        ("1,000", "1000"),
        ("1,234,567.25", "1234567.25"),
        ("１，０００", "1000"),
        ("１０．５", "10.5"),
        ("１０。５", "10.5"),
        ("  42 ", "42"),
        ("1 000", "1000"),
        ("+7", "7"),
        (".5", "0.5"),
    ],
)
def test_a_quantity_is_read_the_way_people_type_it(typed: str, expected: str) -> None:
    parsed = parse_qty(typed)

    assert parsed == Decimal(expected)
    assert isinstance(parsed, Decimal)


def test_a_parsed_quantity_carries_exactly_three_places() -> None:
    parsed = parse_qty("10.5")

    assert parsed.as_tuple().exponent == -3


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("0", "must_be_positive"),
        ("0.000", "must_be_positive"),
        ("-1", "must_be_positive"),
        ("-0.5", "must_be_positive"),
        ("1.0005", "too_many_decimals"),
        ("0.0001", "too_many_decimals"),
        ("1000000000", "too_large"),
        ("1,000,000,000", "too_large"),
        ("NaN", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("inf", "not_a_number"),
        ("1e3", "not_a_number"),
        ("", "not_a_number"),
        ("   ", "not_a_number"),
        ("ten", "not_a_number"),
        ("1,00", "not_a_number"),
        ("1,0000", "not_a_number"),
        ("1.2.3", "not_a_number"),
        ("10kg", "not_a_number"),
        ("0x10", "not_a_number"),
    ],
)
def test_a_quantity_that_is_not_a_positive_three_decimal_number_is_refused(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_qty(typed)

    assert caught.value.reason == reason
    assert caught.value.field == "qty"


def test_zero_is_accepted_only_where_the_caller_allows_it() -> None:
    counted = parse_qty("0", allow_zero=True)

    assert counted == 0
    with pytest.raises(InvalidInput):
        parse_qty("-1", allow_zero=True)


def test_the_refusal_names_the_field_the_caller_gave() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_qty("-3", field="counted")

    assert caught.value.field == "counted"


@pytest.mark.parametrize("value", [1.5, 2, "2", None])
def test_a_quantity_that_is_not_a_decimal_is_refused_rather_than_converted(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_qty(value)  # type: ignore[arg-type]

    assert caught.value.reason == "not_a_number"


def test_three_tenths_add_up_exactly() -> None:
    tenth = parse_qty("0.1")

    total = tenth + tenth + tenth

    assert total == parse_qty("0.3")
    assert 3 * tenth == Decimal("0.3")


def test_a_signed_quantity_keeps_its_sign_and_refuses_zero() -> None:
    down = check_signed_qty(Decimal("-2.5"))
    up = check_signed_qty(Decimal("2.5"))

    assert (down, up) == (Decimal("-2.5"), Decimal("2.5"))
    with pytest.raises(InvalidInput) as caught:
        check_signed_qty(Decimal(0))
    assert caught.value.reason == "must_not_be_zero"
    with pytest.raises(InvalidInput) as too_fine:
        check_signed_qty(Decimal("-0.0001"))
    assert too_fine.value.reason == "too_many_decimals"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "CNY", "0.13"),
        ("2.675", "CNY", "2.68"),
        ("0.124", "CNY", "0.12"),
        ("-0.125", "CNY", "-0.13"),
        ("2.5", "JPY", "3"),
        ("1234.49", "JPY", "1234"),
        ("3.5", "KRW", "4"),
        ("1.0005", "KWD", "1.001"),
        ("7", "USD", "7.00"),
    ],
)
def test_money_is_rounded_half_up_to_the_currency_minor_unit(amount: str, currency: str, expected: str) -> None:
    rounded = round_money(Decimal(amount), currency)

    assert rounded == Decimal(expected)
    assert str(rounded) == expected


def test_yen_have_no_decimals_and_unknown_currencies_have_two() -> None:
    places = {code: minor_units(code) for code in ("JPY", "jpy", "CNY", "EUR", "KWD", "XYZ")}

    assert places == {"JPY": 0, "jpy": 0, "CNY": 2, "EUR": 2, "KWD": 3, "XYZ": 2}


def test_a_line_total_is_rounded_once_after_multiplying() -> None:
    total = line_total(Decimal("3"), Decimal("0.3335"), "CNY")

    assert total == Decimal("1.00")
    assert line_total(Decimal("0.333"), Decimal("1000"), "JPY") == Decimal("333")


def test_a_price_may_carry_four_decimals_but_not_five() -> None:
    price = parse_price("0.1235", "CNY")

    assert price == Decimal("0.1235")
    with pytest.raises(InvalidInput) as caught:
        parse_price("0.12345", "CNY")
    assert caught.value.reason == "too_many_decimals"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("-1", "must_not_be_negative"), ("100000000", "too_large"), ("abc", "not_a_number"), ("NaN", "not_a_number")],
)
def test_a_bad_price_is_refused(typed: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_price(typed, "CNY")

    assert caught.value.reason == reason


def test_a_free_item_has_a_zero_price() -> None:
    price = check_price(Decimal(0), "CNY")

    assert price == 0


@pytest.mark.parametrize(
    ("qty", "multiple", "expected"),
    [("1", "12", "12"), ("12", "12", "12"), ("13", "12", "24"), ("0.1", "0.25", "0.25"), ("7", "0", "7")],
)
def test_a_quantity_is_rounded_up_to_whole_packs(qty: str, multiple: str, expected: str) -> None:
    rounded = round_up_to_multiple(Decimal(qty), Decimal(multiple))

    assert rounded == Decimal(expected)


def test_the_business_date_is_the_date_in_the_company_time_zone() -> None:
    evening_in_utc = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    before_midnight = datetime(2026, 11, 23, 15, 59, tzinfo=UTC)

    tomorrow = local_date(evening_in_utc, SHANGHAI)
    still_today = local_date(before_midnight, SHANGHAI)

    assert tomorrow == date(2026, 11, 24)
    assert still_today == date(2026, 11, 23)


def test_a_naive_instant_has_no_business_date() -> None:
    naive = datetime(2026, 11, 23, 17, 0)  # noqa: DTZ001 - the point of the test

    with pytest.raises(ValueError, match="naive"):
        local_date(naive, SHANGHAI)
