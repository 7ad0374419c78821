"""The sales order aggregate: reservations, backorders and shipments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from domain import events as ev
from domain.acts import Act
from domain.errors import InsufficientStock, InvalidInput, InvalidTransition, OverShipment, Shortage
from domain.master import SELLING, SHIPPING, Item
from domain.stock import MoveKind, StockChange
from domain.values import check_price, check_qty, line_total, round_money

ZERO = Decimal(0)


class SOStatus(StrEnum):
    DRAFT = "draft"
    CONFIRMED = "confirmed"
    PARTIAL = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


OPEN_OUTBOUND = frozenset({SOStatus.CONFIRMED, SOStatus.PARTIAL})


@dataclass(slots=True)
class SOLine:
    line_no: int
    item_id: int
    sku: str
    qty: Decimal
    unit_price: Decimal
    reserved_qty: Decimal = ZERO
    shipped_qty: Decimal = ZERO
    id: int | None = None

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.shipped_qty

    @property
    def backorder(self) -> Decimal:
        return self.remaining - self.reserved_qty


@dataclass(slots=True)
class Shipment:
    shipment_no: int
    at: datetime
    by: int | None
    carrier: str | None
    tracking: str | None
    lines: tuple[tuple[int, str, Decimal], ...]  # (item_id, sku, qty)
    id: int | None = None


@dataclass(slots=True, kw_only=True)
class SalesOrder:
    number: str
    customer_id: int
    customer_code: str
    currency: str
    warehouse_id: int
    warehouse_code: str
    created_by: int
    created_at: datetime
    promised_date: date | None = None
    status: SOStatus = SOStatus.DRAFT
    lines: list[SOLine] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)
    confirmed_at: datetime | None = None
    note: str | None = None
    id: int | None = None
    version: int = 0
    events: list[ev.Event] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return round_money(sum((line_total(ln.qty, ln.unit_price, self.currency) for ln in self.lines), ZERO), self.currency)

    @property
    def remaining(self) -> Decimal:
        return sum((ln.remaining for ln in self.lines), ZERO)

    def line(self, line_no: int) -> SOLine:
        for ln in self.lines:
            if ln.line_no == line_no:
                return ln
        raise InvalidInput("line", str(line_no), "unknown_line")

    def is_overdue(self, today: date) -> bool:
        return (
            self.status in OPEN_OUTBOUND and self.remaining > 0 and self.promised_date is not None and self.promised_date < today
        )

    def add_line(self, item: Item, qty: Decimal, price: Decimal | None, act: Act) -> SOLine:
        act.require(SELLING, "edit")
        if self.status != SOStatus.DRAFT:
            raise InvalidTransition("so", self.number, self.status, "edit")
        if not item.active:
            raise InvalidInput("sku", item.sku, "inactive_item")
        assert item.id is not None
        qty = check_qty(qty)
        unit_price = check_price(price if price is not None else ZERO, self.currency)
        for ln in self.lines:
            if ln.item_id == item.id:
                ln.qty = check_qty(ln.qty + qty)
                if price is not None:
                    ln.unit_price = unit_price
                return ln
        line = SOLine(max((ln.line_no for ln in self.lines), default=0) + 1, item.id, item.sku, qty, unit_price)
        self.lines.append(line)
        return line

    def confirm(self, act: Act, available: Mapping[int, Decimal], *, allow_backorder: bool = True) -> list[StockChange]:
        """Reserve what is available per line; the rest is backordered (or refused, if not allowed)."""
        act.require(SELLING, "confirm")
        if self.status != SOStatus.DRAFT:
            raise InvalidTransition("so", self.number, self.status, "confirm")
        if not self.lines:
            raise InvalidInput("lines", "", "no_lines")
        left = dict(available)
        plan: list[tuple[SOLine, Decimal]] = []
        for line in self.lines:
            take = min(line.qty, max(left.get(line.item_id, ZERO), ZERO))
            left[line.item_id] = left.get(line.item_id, ZERO) - take
            plan.append((line, take))
        if not allow_backorder:
            short = [Shortage(ln.sku, self.warehouse_code, ln.qty, take) for ln, take in plan if take < ln.qty]
            if short:
                raise InsufficientStock(short)
        changes = []
        for line, take in plan:
            line.reserved_qty += take
            if take:
                changes.append(StockChange(line.item_id, self.warehouse_id, ZERO, take, None, self.number, line.sku))
        self.status = SOStatus.CONFIRMED
        self.confirmed_at = act.at
        self.events.append(
            ev.SalesOrderConfirmed(
                **act.stamp(self.number),
                reserved=tuple((ln.sku, str(ln.reserved_qty)) for ln in self.lines if ln.reserved_qty),
                backordered=tuple((ln.sku, str(ln.backorder)) for ln in self.lines if ln.backorder),
            )
        )
        return changes

    def reserve_backorder(self, item_id: int, available: Decimal, act: Act, po_ref: str) -> list[StockChange]:
        """Give newly received stock to this order's waiting lines of the item."""
        if self.status not in OPEN_OUTBOUND:
            return []
        changes = []
        for line in self.lines:
            if line.item_id != item_id or line.backorder <= 0 or available <= 0:
                continue
            take = min(line.backorder, available)
            available -= take
            line.reserved_qty += take
            changes.append(StockChange(item_id, self.warehouse_id, ZERO, take, None, self.number, line.sku))
            self.events.append(
                ev.BackorderReserved(**act.stamp(self.number), sku=line.sku, qty=take, still_missing=line.backorder, po=po_ref)
            )
        return changes

    def ship(
        self,
        act: Act,
        available: Mapping[int, Decimal],
        quantities: Mapping[int, Decimal] | None = None,
        *,
        carrier: str | None = None,
        tracking: str | None = None,
    ) -> list[StockChange]:
        """Ship per line (default: everything reserved). Takes reserved stock first, then free stock."""
        act.require(SHIPPING, "ship")
        if self.status not in OPEN_OUTBOUND:
            raise InvalidTransition("so", self.number, self.status, "ship")
        if quantities is None:
            quantities = {ln.line_no: ln.reserved_qty for ln in self.lines if ln.reserved_qty > 0}
            if not quantities:  # what is left waits for stock: name lines to ship from free stock
                raise InvalidInput("lines", "all", "nothing_reserved")
        if not quantities:
            raise InvalidInput("lines", "", "nothing_to_ship")
        carrier, tracking = _text(carrier, "carrier"), _text(tracking, "tracking")
        left = dict(available)
        plan: list[tuple[SOLine, Decimal, Decimal]] = []
        short: list[Shortage] = []
        for line_no, raw in sorted(quantities.items()):
            line = self.line(line_no)
            qty = check_qty(raw)
            if qty > line.remaining:
                raise OverShipment(line.sku, line.remaining, qty)
            from_reserved = min(qty, line.reserved_qty)
            extra = qty - from_reserved
            free = max(left.get(line.item_id, ZERO), ZERO)
            if extra > free:
                short.append(Shortage(line.sku, self.warehouse_code, qty, line.reserved_qty + free))
            left[line.item_id] = free - extra
            plan.append((line, qty, from_reserved))
        if short:
            raise InsufficientStock(short)
        changes = []
        for line, qty, from_reserved in plan:
            line.shipped_qty += qty
            line.reserved_qty -= from_reserved
            changes.append(
                StockChange(line.item_id, self.warehouse_id, -qty, -from_reserved, MoveKind.SHIPMENT, self.number, line.sku)
            )
        shipment = Shipment(
            len(self.shipments) + 1, act.at, act.actor_id, carrier, tracking, tuple((ln.item_id, ln.sku, q) for ln, q, _ in plan)
        )
        self.shipments.append(shipment)
        self.status = SOStatus.SHIPPED if self.remaining == 0 else SOStatus.PARTIAL
        self.events.append(
            ev.SalesOrderShipped(
                **act.stamp(self.number),
                shipment_id=shipment.shipment_no,
                lines=tuple((ln.sku, str(q)) for ln, q, _ in plan),
                complete=self.status == SOStatus.SHIPPED,
                carrier=carrier,
                tracking=tracking,
            )
        )
        return changes

    def cancel(self, act: Act) -> list[StockChange]:
        """Cancel what is not shipped yet and release its reservations."""
        act.require(SELLING, "cancel")
        if self.status not in (SOStatus.DRAFT, *OPEN_OUTBOUND):
            raise InvalidTransition("so", self.number, self.status, "cancel")
        changes = []
        for line in self.lines:
            if line.reserved_qty:
                changes.append(
                    StockChange(line.item_id, self.warehouse_id, ZERO, -line.reserved_qty, None, self.number, line.sku)
                )
        released = tuple((c.sku, str(-c.reserved_delta)) for c in changes)
        for line in self.lines:
            line.reserved_qty = ZERO
        self.status = SOStatus.CANCELLED
        self.events.append(ev.SalesOrderCancelled(**act.stamp(self.number), released=released))
        return changes


def _text(value: str | None, field_name: str) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > 64:
        raise InvalidInput(field_name, value, "too_long")
    return value.strip()
