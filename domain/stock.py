"""The stock ledger's vocabulary and the replenishment policy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from domain.errors import InvalidInput, ReasonRequired
from domain.master import Item
from domain.values import check_qty, round_up_to_multiple


class MoveKind(StrEnum):
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    ADJUSTMENT = "adjustment"
    TRANSFER = "transfer"
    RETURN = "return"


@dataclass(frozen=True, slots=True)
class StockChange:
    """One change to a balance. With a kind it is also a ledger move; without, a reservation."""

    item_id: int
    warehouse_id: int
    on_hand_delta: Decimal
    reserved_delta: Decimal
    kind: MoveKind | None
    ref: str
    sku: str = ""

    @property
    def key(self) -> tuple[int, int]:
        return (self.item_id, self.warehouse_id)

    @property
    def lowers_available(self) -> bool:
        return self.on_hand_delta - self.reserved_delta < 0


@dataclass(frozen=True, slots=True)
class Balance:
    on_hand: Decimal
    reserved: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


@dataclass(frozen=True, slots=True)
class StockPosition:
    """An item's position over all warehouses: what low stock is judged on."""

    on_hand: Decimal
    reserved: Decimal
    inbound: Decimal

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def projected(self) -> Decimal:
        return self.available + self.inbound


def is_low(item: Item, projected: Decimal) -> bool:
    return item.active and item.reorder_point > 0 and projected < item.reorder_point


def crossed_below(item: Item, before: Decimal, after: Decimal) -> bool:
    return is_low(item, after) and not is_low(item, before)


def suggested_order_qty(item: Item, projected: Decimal) -> Decimal:
    """max − projected under min/max, else reorder_qty; never below the shortfall; whole packs."""
    shortfall = max(item.reorder_point - projected, Decimal(0))
    wanted = item.max_qty - projected if item.max_qty else item.reorder_qty or Decimal(0)
    qty = max(wanted, shortfall)
    if qty <= 0:
        return Decimal(0)
    return round_up_to_multiple(qty, item.pack_size)


def plan_adjustment(
    item: Item,
    warehouse_id: int,
    on_hand: Decimal,
    *,
    delta: Decimal | None = None,
    counted: Decimal | None = None,
    reason: str,
    ref: str,
) -> StockChange:
    """A stock count (counted) or a correction (delta); both need a reason."""
    if not reason.strip():
        raise ReasonRequired("adjust")
    if len(reason) > 200:
        raise InvalidInput("reason", reason, "too_long")
    if (delta is None) == (counted is None):
        raise InvalidInput("adjustment", "", "delta_or_count")
    if counted is not None:
        change = check_qty(counted, field="counted", allow_zero=True) - on_hand
        if change == 0:
            raise InvalidInput("counted", str(counted), "no_change")
    else:
        assert delta is not None
        if delta == 0:
            raise InvalidInput("delta", str(delta), "must_not_be_zero")
        change = check_qty(abs(delta), field="delta") * (1 if delta > 0 else -1)
    assert item.id is not None
    return StockChange(item.id, warehouse_id, change, Decimal(0), MoveKind.ADJUSTMENT, ref, item.sku)
