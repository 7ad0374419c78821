"""Commands: what someone asks the system to do. Primitives only, so any front end can build them.

Every command names the acting user (a registered Telegram id, or None for the system) and
the channel it came through. Quantities and prices are Decimals already parsed by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

LineSpec = tuple[str, Decimal, Decimal | None]  # (sku, qty, unit price or None for the default)
QtySpec = tuple[str, Decimal]  # (sku, qty)


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    actor_id: int | None
    source: str = "chat"
    # The version of the record the person was looking at (a button carries it): if the record
    # has changed since, nothing happens and they are shown its current state instead.
    expected_version: int | None = None
    # The chat update that asked for it: a redelivered update finds its key taken and changes nothing.
    idempotency_key: str | None = None


# --- master data ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateItem(Command):
    sku: str
    name: str
    unit: str = "pcs"
    reorder_point: Decimal = Decimal(0)
    reorder_qty: Decimal | None = None
    max_qty: Decimal | None = None
    pack_size: Decimal = Decimal(1)
    lead_time_days: int = 0
    default_supplier: str | None = None
    std_cost: Decimal | None = None
    barcode: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateItem(Command):
    """Only the fields given (not None) change; those named in `clear` are emptied."""

    sku: str
    name: str | None = None
    reorder_point: Decimal | None = None
    reorder_qty: Decimal | None = None
    max_qty: Decimal | None = None
    pack_size: Decimal | None = None
    default_supplier: str | None = None
    active: bool | None = None
    clear: tuple[str, ...] = ()  # optional fields to empty: max_qty, default_supplier


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePartner(Command):
    kind: str  # "supplier" or "customer"
    code: str
    name: str
    phone: str | None = None
    email: str | None = None
    chat: str | None = None
    currency: str = "CNY"
    payment_terms: str | None = None
    lead_time_days: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SetPartnerActive(Command):
    """Deactivate (or reactivate) a supplier or customer: never deleted, their orders keep them."""

    kind: str  # "supplier" or "customer"
    code: str
    active: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterUser(Command):
    user_id: int
    name: str
    roles: tuple[str, ...]
    language: str = "zh"


@dataclass(frozen=True, slots=True, kw_only=True)
class SetUserRoles(Command):
    user_id: int
    roles: tuple[str, ...]
    active: bool = True


# --- purchasing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatePurchaseOrder(Command):
    supplier: str
    lines: tuple[LineSpec, ...]
    expected_date: date | None = None
    warehouse: str = "MAIN"
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EditPurchaseOrder(Command):
    """Change one line: new qty and/or price, remove it, or add the SKU if the PO lacks it."""

    po: str
    sku: str
    qty: Decimal | None = None
    price: Decimal | None = None
    remove: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SetExpectedDate(Command):
    po: str
    expected_date: date | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitPurchaseOrder(Command):
    po: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovePurchaseOrder(Command):
    po: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectPurchaseOrder(Command):
    po: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisePurchaseOrder(Command):
    po: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelPurchaseOrder(Command):
    po: str
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosePurchaseOrder(Command):
    po: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiveGoods(Command):
    po: str
    lines: tuple[QtySpec, ...] | None = None  # None: everything still open


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnToSupplier(Command):
    po: str
    lines: tuple[QtySpec, ...]
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AddSuggestionToDraft(Command):
    """Put a purchase suggestion on the supplier's draft PO (creating one only if none exists)."""

    sku: str
    qty: Decimal | None = None  # None: the replenishment policy's suggestion
    reason: str = "low_stock"  # or "backorder": backorder quantities add up, low-stock ones don't
    supplier: str | None = None


# --- sales and stock --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSalesOrder(Command):
    customer: str
    lines: tuple[LineSpec, ...]
    promised_date: date | None = None
    warehouse: str = "MAIN"
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmSalesOrder(Command):
    so: str
    allow_backorder: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ShipSalesOrder(Command):
    so: str
    lines: tuple[QtySpec, ...] | None = None  # None: everything reserved
    carrier: str | None = None
    tracking: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelSalesOrder(Command):
    so: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustStock(Command):
    sku: str
    reason: str
    delta: Decimal | None = None
    counted: Decimal | None = None
    warehouse: str = "MAIN"
