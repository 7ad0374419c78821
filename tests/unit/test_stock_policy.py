"""Replenishment (how much to order) and stock adjustments (counts and corrections)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import InvalidInput, ReasonRequired
from domain.stock import (
    Balance,
    MoveKind,
    StockChange,
    StockPosition,
    crossed_below,
    is_low,
    plan_adjustment,
    suggested_order_qty,
)
from tests.unit.builders import MAIN, item, q

# --- how much to order --------------------------------------------------------------------------


def test_under_min_max_the_suggestion_fills_up_to_the_maximum() -> None:
    bolt = item(reorder_point=q(20), reorder_qty=q(50), max_qty=q(100))

    suggested = suggested_order_qty(bolt, q(15))

    assert suggested == 85


def test_without_a_maximum_the_suggestion_is_the_reorder_quantity() -> None:
    bolt = item(reorder_point=q(20), reorder_qty=q(50))

    suggested = suggested_order_qty(bolt, q(15))

    assert suggested == 50


def test_the_suggestion_is_never_below_the_shortfall() -> None:
    bolt = item(reorder_point=q(80), reorder_qty=q(10))

    suggested = suggested_order_qty(bolt, q(5))

    assert suggested == 75


def test_without_a_reorder_quantity_the_suggestion_is_the_shortfall_in_whole_packs() -> None:
    bolt = item(reorder_point=q(20))
    cable = item("CBL-1", 2, unit="m", reorder_point=q(20), pack_size=q("0.5"))

    suggested = suggested_order_qty(bolt, q("12.5"))

    assert suggested == 8  # the default pack is one unit
    assert suggested_order_qty(cable, q("12.5")) == Decimal("7.5")


@pytest.mark.parametrize(
    ("max_qty", "reorder_qty", "projected", "expected"),
    [
        ("100", None, "15", "96"),  # 85 -> 8 packs of 12
        (None, "50", "15", "60"),  # 50 -> 5 packs of 12
        (None, "48", "15", "48"),  # already whole packs
        (None, None, "19", "12"),  # a shortfall of 1 still buys a whole pack
    ],
)
def test_the_suggestion_is_rounded_up_to_whole_packs(
    max_qty: str | None, reorder_qty: str | None, projected: str, expected: str
) -> None:
    boxed = item(
        reorder_point=q(20),
        reorder_qty=q(reorder_qty) if reorder_qty else None,
        max_qty=q(max_qty) if max_qty else None,
        pack_size=q(12),
    )

    suggested = suggested_order_qty(boxed, q(projected))

    assert suggested == Decimal(expected)


def test_at_or_above_the_maximum_nothing_is_suggested() -> None:
    bolt = item(reorder_point=q(20), max_qty=q(100))

    at_max, above = suggested_order_qty(bolt, q(100)), suggested_order_qty(bolt, q(130))

    assert (at_max, above) == (0, 0)


def test_projected_stock_counts_inbound_and_subtracts_reservations() -> None:
    position = StockPosition(on_hand=q(30), reserved=q(12), inbound=q(40))

    projected = position.projected

    assert (position.available, projected) == (18, 58)
    assert Balance(q(30), q(12)).available == 18


def test_an_item_is_low_only_strictly_below_its_reorder_point() -> None:
    bolt = item(reorder_point=q(20))

    at, below = is_low(bolt, q(20)), is_low(bolt, q("19.999"))

    assert (at, below) == (False, True)
    assert not is_low(item(reorder_point=q(0)), q(-5))
    assert not is_low(item(reorder_point=q(20), active=False), q(0))


def test_crossing_below_is_news_once_and_staying_low_is_not() -> None:
    bolt = item(reorder_point=q(20))

    crossing, staying, recovering = (
        crossed_below(bolt, q(25), q(15)),
        crossed_below(bolt, q(15), q(10)),
        crossed_below(bolt, q(10), q(30)),
    )

    assert (crossing, staying, recovering) == (True, False, False)


# --- adjustments ------------------------------------------------------------------------------


def test_a_correction_is_a_signed_adjustment_move() -> None:
    bolt = item()

    change = plan_adjustment(bolt, MAIN, q(10), delta=q(-3), reason="broken", ref="ADJ-2026-00001")

    assert change == StockChange(bolt.id or 0, MAIN, q(-3), Decimal(0), MoveKind.ADJUSTMENT, "ADJ-2026-00001", "A-1")


def test_a_count_adjusts_by_the_difference_from_on_hand() -> None:
    bolt = item()

    down = plan_adjustment(bolt, MAIN, q(10), counted=q(7), reason="stocktake", ref="ADJ-1")
    up = plan_adjustment(bolt, MAIN, q(10), counted=q("12.5"), reason="stocktake", ref="ADJ-2")
    to_zero = plan_adjustment(bolt, MAIN, q(10), counted=q(0), reason="stocktake", ref="ADJ-3")

    assert (down.on_hand_delta, up.on_hand_delta, to_zero.on_hand_delta) == (-3, Decimal("2.5"), -10)


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_adjustment_needs_a_reason(reason: str) -> None:
    bolt = item()

    with pytest.raises(ReasonRequired):
        plan_adjustment(bolt, MAIN, q(10), delta=q(1), reason=reason, ref="ADJ-1")


def test_a_count_equal_to_on_hand_is_refused_as_no_change() -> None:
    bolt = item()

    with pytest.raises(InvalidInput) as caught:
        plan_adjustment(bolt, MAIN, q(10), counted=q("10.000"), reason="stocktake", ref="ADJ-1")

    assert caught.value.reason == "no_change"


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({}, "adjustment", "delta_or_count"),
        ({"delta": q(1), "counted": q(5)}, "adjustment", "delta_or_count"),
        ({"delta": q(0)}, "delta", "must_not_be_zero"),
        ({"delta": q("0.0005")}, "delta", "too_many_decimals"),
        ({"delta": q("-1.0005")}, "delta", "too_many_decimals"),
        ({"delta": q(-1000000000)}, "delta", "too_large"),
        ({"counted": q(-1)}, "counted", "must_be_positive"),
        ({"counted": q("1.2345")}, "counted", "too_many_decimals"),
    ],
)
def test_a_malformed_adjustment_is_refused(kwargs: dict[str, Decimal], field: str, reason: str) -> None:
    bolt = item()

    with pytest.raises(InvalidInput) as caught:
        plan_adjustment(bolt, MAIN, q(10), reason="stocktake", ref="ADJ-1", **kwargs)  # type: ignore[arg-type]

    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_a_reason_longer_than_200_characters_is_refused() -> None:
    bolt = item()

    with pytest.raises(InvalidInput) as caught:
        plan_adjustment(bolt, MAIN, q(10), delta=q(1), reason="x" * 201, ref="ADJ-1")

    assert caught.value.field == "reason"


# --- the item's own replenishment settings ----------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_qty": q(10), "reorder_point": q(20)}, "max_qty"),
        ({"pack_size": q(0)}, "pack_size"),
        ({"reorder_point": q(-1)}, "reorder_point"),
        ({"reorder_qty": q("0.0001")}, "reorder_qty"),
        ({"lead_time_days": -1}, "lead_time_days"),
        ({"sku": "has space"}, "sku"),
        ({"sku": "x" * 33}, "sku"),
    ],
)
def test_an_item_with_unusable_replenishment_settings_is_refused(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        item(**kwargs)

    assert caught.value.field == field
