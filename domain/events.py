"""Domain events: past-tense facts of primitives, so they go into the outbox as they are.

Every event names the actor (None for the system), the instant (UTC) and the source
(chat, cli, scheduler, import); the unit of work turns each into an audit row and an outbox row.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    entity: ClassVar[str] = ""
    notify: ClassVar[bool] = True  # False: audit only, nobody is told
    audit: ClassVar[bool] = True  # False: outbox only (an alert that changes nothing)
    at: datetime
    actor_id: int | None
    source: str
    ref: str

    @property
    def name(self) -> str:
        return type(self).__name__

    def payload(self) -> dict[str, Any]:
        def plain(value: object) -> object:
            if isinstance(value, Decimal):
                return str(value)
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            if hasattr(value, "isoformat"):
                return value.isoformat()  # dates
            return value

        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}

    @property
    def dedup_key(self) -> str | None:
        return None


# --- purchasing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderCreated(Event):
    notify: ClassVar[bool] = False
    entity: ClassVar[str] = "po"
    supplier: str
    total: Decimal
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderChanged(Event):
    notify: ClassVar[bool] = False
    entity: ClassVar[str] = "po"
    change: str
    total: Decimal
    needs_reapproval: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderSubmitted(Event):
    entity: ClassVar[str] = "po"
    total: Decimal
    currency: str
    approvals_needed: int
    approver_roles: tuple[str, ...]
    created_by: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderApprovalGiven(Event):
    """One approval of several needed; the PO is still pending."""

    entity: ClassVar[str] = "po"
    approvals: int
    approvals_needed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderApproved(Event):
    entity: ClassVar[str] = "po"
    automatic: bool
    created_by: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderRejected(Event):
    entity: ClassVar[str] = "po"
    reason: str
    created_by: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderRevised(Event):
    notify: ClassVar[bool] = False
    entity: ClassVar[str] = "po"


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderCancelled(Event):
    entity: ClassVar[str] = "po"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderClosed(Event):
    entity: ClassVar[str] = "po"
    short: bool
    cancelled_qty: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class GoodsReceived(Event):
    entity: ClassVar[str] = "po"
    lines: tuple[tuple[str, str], ...]  # (sku, qty)
    complete: bool
    created_by: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GoodsReturned(Event):
    entity: ClassVar[str] = "po"
    lines: tuple[tuple[str, str], ...]
    reason: str


# --- sales ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesOrderCreated(Event):
    notify: ClassVar[bool] = False
    entity: ClassVar[str] = "so"
    customer: str
    total: Decimal
    currency: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesOrderConfirmed(Event):
    entity: ClassVar[str] = "so"
    reserved: tuple[tuple[str, str], ...]
    backordered: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class BackorderReserved(Event):
    """A receipt reserved stock for a waiting sales order: sales wants to know."""

    entity: ClassVar[str] = "so"
    sku: str
    qty: Decimal
    still_missing: Decimal
    po: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesOrderShipped(Event):
    entity: ClassVar[str] = "so"
    shipment_id: int
    lines: tuple[tuple[str, str], ...]
    complete: bool
    carrier: str | None
    tracking: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesOrderCancelled(Event):
    entity: ClassVar[str] = "so"
    released: tuple[tuple[str, str], ...]


# --- stock and master data ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StockAdjusted(Event):
    entity: ClassVar[str] = "item"
    warehouse: str
    delta: Decimal
    on_hand: Decimal
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StockFellBelowReorderPoint(Event):
    entity: ClassVar[str] = "item"
    item_id: int
    item_name: str  # not `name`: that would shadow Event.name, the event type audit and outbox use
    projected: Decimal
    reorder_point: Decimal
    suggested_qty: Decimal
    # Which low-stock episode of the item this is, set when the transaction commits
    # (storage.episodes): one alert per episode, however often the item is judged low during it.
    episode: int | None = None

    @property
    def dedup_key(self) -> str | None:
        return None if self.episode is None else f"low_stock:{self.item_id}:{self.episode}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseSuggested(Event):
    entity: ClassVar[str] = "item"
    item_id: int
    qty: Decimal
    supplier: str | None
    reason: str  # "low_stock" or "backorder"


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterDataChanged(Event):
    """Items, suppliers, customers, users: created or edited. The ref is the SKU for items and
    `supplier:CODE`, `customer:CODE`, `user:ID` otherwise, so a code never joins a SKU's history."""

    notify: ClassVar[bool] = False
    entity: ClassVar[str] = "master"
    kind: str
    change: str


# --- raised by the scheduler's jobs (notify only; no audit row: they change nothing) ----------


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderOverdue(Event):
    """An approved PO whose expected date passed with goods still to receive; once per local day."""

    audit: ClassVar[bool] = False
    entity: ClassVar[str] = "po"
    day: date  # the company-local day this alert is for
    supplier: str
    expected: date
    days_late: int
    created_by: int
    escalate: bool  # late long enough to go to the managers' group too

    @property
    def dedup_key(self) -> str | None:
        return f"overdue_inbound:{self.ref}:{self.day.isoformat()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SalesOrderOverdue(Event):
    """A confirmed SO whose promised date passed with goods still to ship; once per local day."""

    audit: ClassVar[bool] = False
    entity: ClassVar[str] = "so"
    day: date
    customer: str
    promised: date
    days_late: int
    created_by: int
    escalate: bool

    @property
    def dedup_key(self) -> str | None:
        return f"overdue_outbound:{self.ref}:{self.day.isoformat()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalReminder(Event):
    """A PO pending approval for longer than the configured hours; once per reminder slot."""

    audit: ClassVar[bool] = False
    entity: ClassVar[str] = "po"
    slot: str  # which reminder this is (e.g. the interval number since submission)
    hours_waiting: int
    created_by: int
    escalate: bool

    @property
    def dedup_key(self) -> str | None:
        return f"approval_reminder:{self.ref}:{self.slot}"


@dataclass(frozen=True, slots=True, kw_only=True)
class DailyDigestDue(Event):
    """The day's digest is to be built and sent to every digest channel; once per local day.
    The ref is the day (ISO)."""

    audit: ClassVar[bool] = False
    entity: ClassVar[str] = "digest"
    day: date
    edition: str = ""  # "" for the scheduled digest; a manual run's own, so it uses up nothing

    @property
    def dedup_key(self) -> str | None:
        return f"daily_digest:{self.day.isoformat()}" + (f":{self.edition}" if self.edition else "")
