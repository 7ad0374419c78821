"""What the read side returns: small frozen records for lists, cards, sweeps and timelines.

Front ends render these; storage fills them with SQL (storage/views.py). Pure Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from domain.master import Item
from domain.stock import Balance

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LowStockLine:
    item_id: int
    sku: str
    name: str
    unit: str
    projected: Decimal
    reorder_point: Decimal
    suggested_qty: Decimal
    supplier: str | None  # the default supplier's code

    @property
    def shortfall(self) -> Decimal:
        return self.reorder_point - self.projected


@dataclass(frozen=True, slots=True)
class OverdueOrder:
    number: str
    partner: str  # supplier code for a PO, customer code for an SO
    status: str
    due: date  # expected (PO) or promised (SO) date
    days_late: int
    open_qty: Decimal  # still to receive / to ship, over all lines


@dataclass(frozen=True, slots=True, kw_only=True)
class WarehouseStock(Balance):
    """A balance as the stock card shows it: with its warehouse's code."""

    warehouse: str


@dataclass(frozen=True, slots=True)
class StockCard:
    item_id: int
    sku: str
    name: str
    unit: str
    active: bool
    reorder_point: Decimal
    supplier: str | None
    warehouses: tuple[WarehouseStock, ...]
    on_hand: Decimal
    reserved: Decimal
    inbound: Decimal  # approved PO quantity not received yet

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved

    @property
    def projected(self) -> Decimal:
        return self.available + self.inbound

    @property
    def is_low(self) -> bool:
        return self.active and self.reorder_point > 0 and self.projected < self.reorder_point


@dataclass(frozen=True, slots=True)
class ItemCard:
    """The item as master data (with its version, for edit buttons) and its stock."""

    item: Item
    stock: StockCard


@dataclass(frozen=True, slots=True)
class ItemHit:
    item_id: int
    sku: str
    name: str
    unit: str
    active: bool


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor_id: int | None
    source: str
    action: str  # the event's name, or the move kind ("receipt", "shipment"...) for a ledger row
    ref: str
    details: Mapping[str, Any]
    qty: Decimal | None = None  # ledger rows only: the signed quantity
    warehouse: str | None = None  # ledger rows only

    @property
    def is_move(self) -> bool:
        return self.qty is not None


@dataclass(frozen=True, slots=True)
class History:
    kind: str  # "po", "so" or "item"
    ref: str  # the PO/SO number or the SKU as stored
    entries: tuple[HistoryEntry, ...]  # oldest first, newest last
    truncated: bool  # older entries exist beyond the limit


@dataclass(frozen=True, slots=True)
class OrderSummary:
    number: str
    partner: str
    status: str
    created_by: int
    created_at: datetime
    due: date | None  # expected (PO) or promised (SO) date
    lines: int
    open_qty: Decimal  # to receive (PO) or to ship (SO)
    total: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    rows: tuple[T, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_prev(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.page_size < self.total
