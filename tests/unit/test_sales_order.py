"""The sales order aggregate: reserving on confirmation, backorders, shipping and cancelling."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain import events as ev
from domain.errors import InsufficientStock, InvalidInput, InvalidTransition, OverShipment, PermissionDenied
from domain.master import User
from domain.sales import SOStatus
from domain.stock import MoveKind
from tests.unit.builders import (
    A1,
    B2,
    BUYER,
    C3,
    SALES,
    TODAY,
    WAREHOUSE,
    by,
    draft_so,
    item,
    q,
)


def stock(**available: int | str) -> dict[int, Decimal]:
    """Available quantities by item id, written as a1=10, b2=0."""
    ids = {"a1": A1.id, "b2": B2.id, "c3": C3.id}
    return {ids[key]: q(value) for key, value in available.items() if ids[key] is not None}


# --- drafting ---------------------------------------------------------------------------------


def test_ordering_an_item_twice_grows_its_line() -> None:
    so = draft_so((A1, 10))

    so.add_line(A1, q(5), q(12), by(SALES))

    assert [(ln.sku, ln.qty, ln.unit_price) for ln in so.lines] == [("A-1", 15, 12)]


def test_a_buyer_cannot_write_a_sales_order() -> None:
    so = draft_so()

    with pytest.raises(PermissionDenied):
        so.add_line(A1, q(1), None, by(BUYER))

    assert so.lines == []


def test_a_confirmed_order_takes_no_new_lines() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=10))

    with pytest.raises(InvalidTransition):
        so.add_line(B2, q(1), None, by(SALES))

    assert len(so.lines) == 1


def test_an_inactive_item_cannot_be_sold() -> None:
    so = draft_so()

    with pytest.raises(InvalidInput) as caught:
        so.add_line(item("OLD-1", 9, active=False), q(1), None, by(SALES))

    assert caught.value.reason == "inactive_item"


# --- confirming -------------------------------------------------------------------------------


def test_confirming_reserves_what_is_available_per_line() -> None:
    so = draft_so((A1, 10), (B2, 5))

    changes = so.confirm(by(SALES), stock(a1=10, b2=20))

    assert so.status == SOStatus.CONFIRMED
    assert [(ln.reserved_qty, ln.backorder) for ln in so.lines] == [(10, 0), (5, 0)]
    assert [(c.item_id, c.on_hand_delta, c.reserved_delta, c.kind) for c in changes] == [
        (A1.id, 0, 10, None),
        (B2.id, 0, 5, None),
    ]


def test_what_is_not_available_is_backordered() -> None:
    so = draft_so((A1, 10), (B2, 5))

    changes = so.confirm(by(SALES), stock(a1=4))

    assert [(ln.reserved_qty, ln.backorder) for ln in so.lines] == [(4, 6), (0, 5)]
    assert [c.reserved_delta for c in changes] == [4]
    confirmed_event = so.events[-1]
    assert isinstance(confirmed_event, ev.SalesOrderConfirmed)
    assert [(sku, Decimal(n)) for sku, n in confirmed_event.reserved] == [("A-1", 4)]
    assert [(sku, Decimal(n)) for sku, n in confirmed_event.backordered] == [("A-1", 6), ("B-2", 5)]


def test_negative_availability_counts_as_none() -> None:
    so = draft_so((A1, 10))

    so.confirm(by(SALES), stock(a1=-3))

    assert so.lines[0].reserved_qty == 0
    assert so.lines[0].backorder == 10


def test_without_backorders_every_short_line_is_listed_at_once() -> None:
    so = draft_so((A1, 10), (B2, 5), (C3, 1))

    with pytest.raises(InsufficientStock) as caught:
        so.confirm(by(SALES), stock(a1=4, c3=1), allow_backorder=False)

    shortages = [(s.sku, s.warehouse, s.requested, s.available) for s in caught.value.shortages]
    assert shortages == [("A-1", "MAIN", 10, 4), ("B-2", "MAIN", 5, 0)]
    assert so.status == SOStatus.DRAFT
    assert all(ln.reserved_qty == 0 for ln in so.lines)
    assert so.events == []


def test_without_backorders_an_order_that_fits_is_confirmed() -> None:
    so = draft_so((A1, 10))

    so.confirm(by(SALES), stock(a1=10), allow_backorder=False)

    assert so.lines[0].reserved_qty == 10


@pytest.mark.parametrize("user", [WAREHOUSE, BUYER], ids=["warehouse", "buyer"])
def test_only_sales_may_confirm(user: User) -> None:
    so = draft_so((A1, 10))

    with pytest.raises(PermissionDenied):
        so.confirm(by(user), stock(a1=10))

    assert so.status == SOStatus.DRAFT


def test_an_order_is_confirmed_once() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=10))

    with pytest.raises(InvalidTransition):
        so.confirm(by(SALES), stock(a1=10))

    assert so.lines[0].reserved_qty == 10


def test_an_empty_order_cannot_be_confirmed() -> None:
    so = draft_so()

    with pytest.raises(InvalidInput) as caught:
        so.confirm(by(SALES), {})

    assert caught.value.reason == "no_lines"


# --- shipping ---------------------------------------------------------------------------------


def test_shipping_without_quantities_ships_everything_reserved() -> None:
    so = draft_so((A1, 10), (B2, 5))
    so.confirm(by(SALES), stock(a1=10, b2=2))

    changes = so.ship(by(WAREHOUSE), stock(a1=0, b2=0), carrier=" SF Express ", tracking="SF123")

    assert [(c.sku, c.on_hand_delta, c.reserved_delta, c.kind) for c in changes] == [
        ("A-1", -10, -10, MoveKind.SHIPMENT),
        ("B-2", -2, -2, MoveKind.SHIPMENT),
    ]
    assert so.status == SOStatus.PARTIAL
    assert (so.shipments[0].carrier, so.shipments[0].tracking) == ("SF Express", "SF123")


def test_shipping_5_of_10_reserved_leaves_5_reserved() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=10))

    so.ship(by(WAREHOUSE), stock(a1=0), {1: q(5)})

    assert (so.lines[0].shipped_qty, so.lines[0].reserved_qty, so.lines[0].remaining) == (5, 5, 5)
    assert so.status == SOStatus.PARTIAL


def test_a_shipment_takes_reserved_stock_first_then_free_stock() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=4))

    changes = so.ship(by(WAREHOUSE), stock(a1=6), {1: q(7)})

    assert [(c.on_hand_delta, c.reserved_delta) for c in changes] == [(-7, -4)]
    assert (so.lines[0].reserved_qty, so.lines[0].backorder) == (0, 3)


def test_a_shipment_cannot_take_more_free_stock_than_there_is() -> None:
    so = draft_so((A1, 10), (B2, 10))
    so.confirm(by(SALES), stock(a1=4, b2=1))

    with pytest.raises(InsufficientStock) as caught:
        so.ship(by(WAREHOUSE), stock(a1=2, b2=0), {1: q(7), 2: q(3)})

    assert [(s.sku, s.requested, s.available) for s in caught.value.shortages] == [("A-1", 7, 6), ("B-2", 3, 1)]
    assert [ln.shipped_qty for ln in so.lines] == [0, 0]
    assert so.shipments == []


def test_nothing_ships_beyond_what_was_ordered() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=10))
    so.ship(by(WAREHOUSE), stock(a1=0), {1: q(6)})

    with pytest.raises(OverShipment) as caught:
        so.ship(by(WAREHOUSE), stock(a1=100), {1: q("4.001")})

    assert (caught.value.remaining, caught.value.attempted) == (4, Decimal("4.001"))
    assert so.lines[0].shipped_qty == 6


def test_an_order_with_nothing_reserved_cannot_ship_everything_reserved() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock())

    with pytest.raises(InvalidInput) as caught:
        so.ship(by(WAREHOUSE), stock(a1=0))

    assert caught.value.reason == "nothing_reserved"


def test_shipping_everything_completes_the_order() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=10))
    so.ship(by(WAREHOUSE), stock(a1=0), {1: q(4)})

    so.ship(by(WAREHOUSE), stock(a1=0))

    assert so.status == SOStatus.SHIPPED
    assert [s.shipment_no for s in so.shipments] == [1, 2]
    shipped = so.events[-1]
    assert isinstance(shipped, ev.SalesOrderShipped) and shipped.complete


@pytest.mark.parametrize("state", ["draft", "shipped", "cancelled"])
def test_only_a_confirmed_or_partially_shipped_order_ships(state: str) -> None:
    so = draft_so((A1, 10))
    if state != "draft":
        so.confirm(by(SALES), stock(a1=10))
    if state == "shipped":
        so.ship(by(WAREHOUSE), stock(a1=0))
    if state == "cancelled":
        so.cancel(by(SALES))

    with pytest.raises(InvalidTransition):
        so.ship(by(WAREHOUSE), stock(a1=10), {1: q(1)})

    assert so.status == state


def test_sales_staff_cannot_ship() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=10))

    with pytest.raises(PermissionDenied):
        so.ship(by(SALES), stock(a1=0))

    assert so.lines[0].shipped_qty == 0


@pytest.mark.parametrize(
    ("qty", "reason"), [("0", "must_be_positive"), ("-2", "must_be_positive"), ("0.0001", "too_many_decimals")]
)
def test_a_bad_shipping_quantity_is_refused(qty: str, reason: str) -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=10))

    with pytest.raises(InvalidInput) as caught:
        so.ship(by(WAREHOUSE), stock(a1=0), {1: Decimal(qty)})

    assert caught.value.reason == reason
    assert so.lines[0].reserved_qty == 10


def test_a_tracking_number_longer_than_64_characters_is_refused() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=10))

    with pytest.raises(InvalidInput) as caught:
        so.ship(by(WAREHOUSE), stock(a1=0), tracking="X" * 65)

    assert caught.value.field == "tracking"
    assert so.shipments == []


# --- cancelling and backorders ------------------------------------------------------------------


def test_cancelling_releases_every_reservation() -> None:
    so = draft_so((A1, 10), (B2, 5))
    so.confirm(by(SALES), stock(a1=10, b2=5))
    so.ship(by(WAREHOUSE), stock(), {1: q(5)})

    changes = so.cancel(by(SALES))

    assert so.status == SOStatus.CANCELLED
    assert sorted((c.sku, c.on_hand_delta, c.reserved_delta, c.kind) for c in changes) == [
        ("A-1", 0, -5, None),
        ("B-2", 0, -5, None),
    ]
    assert all(ln.reserved_qty == 0 for ln in so.lines)
    cancelled = so.events[-1]
    assert isinstance(cancelled, ev.SalesOrderCancelled) and len(cancelled.released) == 2


def test_a_draft_is_cancelled_without_touching_stock() -> None:
    so = draft_so((A1, 10))

    changes = so.cancel(by(SALES))

    assert changes == []
    assert so.status == SOStatus.CANCELLED


@pytest.mark.parametrize("state", ["shipped", "cancelled"])
def test_a_finished_order_cannot_be_cancelled(state: str) -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=10))
    if state == "shipped":
        so.ship(by(WAREHOUSE), stock())
    else:
        so.cancel(by(SALES))

    with pytest.raises(InvalidTransition):
        so.cancel(by(SALES))

    assert so.status == state


def test_the_warehouse_cannot_cancel_a_sales_order() -> None:
    so = draft_so((A1, 10))

    with pytest.raises(PermissionDenied):
        so.cancel(by(WAREHOUSE))

    assert so.status == SOStatus.DRAFT


def test_received_stock_fills_a_backorder_up_to_what_is_missing() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock(a1=3))

    changes = so.reserve_backorder(A1.id, q(100), by(WAREHOUSE), "PO-2026-00009")

    assert [c.reserved_delta for c in changes] == [7]
    assert so.lines[0].backorder == 0
    reserved = so.events[-1]
    assert isinstance(reserved, ev.BackorderReserved)
    assert (reserved.qty, reserved.still_missing, reserved.po) == (7, 0, "PO-2026-00009")


def test_a_small_receipt_fills_a_backorder_partly() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock())

    so.reserve_backorder(A1.id, q(4), by(WAREHOUSE), "PO-2026-00009")

    assert (so.lines[0].reserved_qty, so.lines[0].backorder) == (4, 6)


def test_a_cancelled_order_takes_no_received_stock() -> None:
    so = draft_so((A1, 10))
    so.confirm(by(SALES), stock())
    so.cancel(by(SALES))

    changes = so.reserve_backorder(A1.id, q(10), by(WAREHOUSE), "PO-2026-00009")

    assert changes == []
    assert so.lines[0].reserved_qty == 0


def test_a_confirmed_order_past_its_promised_date_with_something_to_ship_is_overdue() -> None:
    so = draft_so((A1, 10), promised=TODAY - timedelta(days=1))
    so.confirm(by(SALES), stock(a1=10))
    overdue_before = so.is_overdue(TODAY)

    so.ship(by(WAREHOUSE), stock())

    assert overdue_before
    assert not so.is_overdue(TODAY)
    assert not draft_so((A1, 1), promised=TODAY - timedelta(days=1)).is_overdue(TODAY)
    assert not draft_so((A1, 1)).is_overdue(TODAY + timedelta(days=999))
