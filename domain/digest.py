"""The daily digest as data: what happened today, what waits, what is late or short, and the KPIs.

storage/digest.py fills it in one read snapshot; notifications/digest.py renders it. The rules
that turn raw figures into KPIs live here so that they are stated once, in plain Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, TypeVar

from domain.readmodels import OverdueOrder

T = TypeVar("T")

WINDOW_DAYS = 30  # the KPIs and the demand behind stock cover look back this far
# Pending approvals by age: under 1 day, 1–3 days, 3–7 days, 7 days and more.
AGE_LIMITS = (timedelta(days=1), timedelta(days=3), timedelta(days=7))


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """The first rows of a list (what a message can carry) and how many there are in all."""

    rows: tuple[T, ...]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@dataclass(frozen=True, slots=True)
class Movement:
    """Today's ledger rows of one kind for one document (a PO's receipt, an SO's shipment)."""

    ref: str
    partner: str | None  # supplier or customer code; None when the ref is not an order
    lines: int  # ledger rows
    qty: Decimal  # units moved, positive


@dataclass(frozen=True, slots=True)
class MovementTotals:
    documents: int
    lines: int
    qty: Decimal


@dataclass(frozen=True, slots=True)
class PendingApproval:
    number: str
    supplier: str
    total: Decimal
    currency: str
    submitted_at: datetime
    approvals: int  # given in the current round
    approvals_needed: int

    def age(self, now: datetime) -> timedelta:
        return max(now - self.submitted_at, timedelta(0))


@dataclass(frozen=True, slots=True)
class CriticalItem:
    """An active item whose projected quantity is below its reorder point."""

    item_id: int
    sku: str
    name: str
    unit: str
    available: Decimal  # on hand − reserved, all warehouses
    projected: Decimal  # available + open PO quantity
    reorder_point: Decimal
    suggested_qty: Decimal
    supplier: str | None  # default supplier's code; without one no PO can be drafted
    shipped_in_window: Decimal  # units shipped over the last WINDOW_DAYS days

    @property
    def daily_demand(self) -> Decimal:
        return self.shipped_in_window / WINDOW_DAYS

    @property
    def days_of_cover(self) -> Decimal | None:
        """available ÷ average daily shipments over the window (see days_of_cover)."""
        return days_of_cover(self.available, self.shipped_in_window)


@dataclass(frozen=True, slots=True)
class CycleTime:
    """The median of the durations measured (None when there were none) and how many."""

    median: timedelta | None
    count: int


@dataclass(frozen=True, slots=True)
class Rate:
    """part ÷ whole as a percentage; None when the whole is zero (nothing to judge)."""

    part: Decimal
    whole: Decimal

    @property
    def percent(self) -> Decimal | None:
        if self.whole == 0:
            return None
        return (self.part * 100 / self.whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class OrderCounts:
    open: int  # POs approved or partially received; SOs confirmed or partially shipped
    pending: int  # POs waiting for approval; SOs in draft
    overdue: int


@dataclass(frozen=True, slots=True)
class Kpis:
    """Definitions (the window is the WINDOW_DAYS days before `now`, or before `day` for dates):

    - submit_to_approve: median of approved_at − submitted_at over POs approved in the window
      by people (automatic approvals, which need no approver, are left out). The PO's last
      submission and last approval count: a change after approval that sent it back makes its
      cycle longer, as the buyer lived it.
    - approve_to_receipt: median of first_receipt_at − approved_at over POs whose first
      receipt fell in the window (and came after the approval).
    - on_time: POs now approved, partially received, received or closed whose expected date
      fell in the window (the WINDOW_DAYS days before `day`): on time when every line is fully
      received and the last receipt (in the ledger) was on or before the expected date,
      company-local. A PO closed short, still open, or with goods returned since counts as
      late; one sent back for re-approval, rejected or cancelled is not judged. part = on time,
      whole = POs judged.
    - fill: shipped ÷ ordered quantity over lines of SOs (confirmed or later, not cancelled)
      promised in the window: what left the warehouse by now, on time or late.
    - stock_outs: active items with a reorder point (the ones meant to be stocked) whose
      available quantity over all warehouses is zero now.
    - inventory_value: Σ on hand × standard cost (the last cost when no standard cost is set),
      every item and warehouse, in the company currency; unvalued_items counts items with stock
      and neither cost, which the value leaves out.
    """

    pos: OrderCounts
    sos: OrderCounts
    submit_to_approve: CycleTime
    approve_to_receipt: CycleTime
    on_time: Rate
    fill: Rate
    stock_outs: int
    inventory_value: Decimal
    unvalued_items: int


@dataclass(frozen=True, slots=True)
class Digest:
    day: date  # the company-local day it is about
    now: datetime  # the moment its "now" figures were read
    currency: str
    receipts: Listing[Movement]
    receipt_totals: MovementTotals
    shipments: Listing[Movement]
    shipment_totals: MovementTotals
    approvals: Listing[PendingApproval]  # oldest first
    approval_ages: tuple[int, ...]  # counts per AGE_LIMITS bucket (len(AGE_LIMITS) + 1)
    overdue_in: Listing[OverdueOrder]  # most overdue first
    overdue_out: Listing[OverdueOrder]
    low_stock: Listing[CriticalItem]  # most critical first (critical_order)
    kpis: Kpis


def days_of_cover(available: Decimal, shipped_in_window: Decimal) -> Decimal | None:
    """Nothing available is no cover, whatever the demand; stock nobody shipped lately has no
    figure (None) rather than an endless one."""
    if available <= 0:
        return Decimal(0)
    if shipped_in_window <= 0:
        return None
    return (available * WINDOW_DAYS / shipped_in_window).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def critical_order(item: CriticalItem) -> tuple[bool, Decimal, Decimal, str]:
    """Fewest days of cover first; items nobody shipped lately (no cover figure) after those, by
    how far below their reorder point they are (projected ÷ reorder point)."""
    cover = item.days_of_cover
    return (cover is None, cover if cover is not None else Decimal(0), item.projected / item.reorder_point, item.sku)


def median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def cycle_time(durations: Iterable[timedelta]) -> CycleTime:
    kept = [d for d in durations if d >= timedelta(0)]
    return CycleTime(median(kept), len(kept))


def age_bucket(age: timedelta) -> int:
    return sum(age >= limit for limit in AGE_LIMITS)


def on_time(fully_received: bool, last_receipt_day: date | None, expected: date) -> bool:
    return fully_received and last_receipt_day is not None and last_receipt_day <= expected
