"""Plain constructors for domain objects: no database, no clock, no event loop."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from domain.acts import Act, Source
from domain.approval import ApprovalPolicy, Tier
from domain.master import Item, Role, User
from domain.purchasing import PurchaseOrder
from domain.sales import SalesOrder

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 11, 23)
MAIN = 1

ADMIN = User(1001, "Ada", frozenset({Role.ADMIN}))
MANAGER = User(1002, "Mia", frozenset({Role.MANAGER}))
MANAGER2 = User(1003, "Max", frozenset({Role.MANAGER}))
BUYER = User(1004, "Bo", frozenset({Role.BUYER}))
WAREHOUSE = User(1005, "Wen", frozenset({Role.WAREHOUSE}))
SALES = User(1006, "Sam", frozenset({Role.SALES}))
VIEWER = User(1007, "Vic", frozenset({Role.VIEWER}))

POLICY = ApprovalPolicy(
    (
        Tier(Decimal(0), 0, frozenset()),
        Tier(Decimal(1000), 1, frozenset({Role.MANAGER, Role.ADMIN})),
        Tier(Decimal(10000), 2, frozenset({Role.MANAGER, Role.ADMIN})),
    )
)


def q(value: str | int) -> Decimal:
    return Decimal(str(value))


def by(user: User | None, minutes: int = 0) -> Act:
    return Act(user, NOW + timedelta(minutes=minutes), Source.CHAT)


def item(sku: str = "A-1", item_id: int = 1, **kw: object) -> Item:
    return Item(sku=sku, name=f"Item {sku}", id=item_id, **kw)  # type: ignore[arg-type]


A1, B2, C3 = item("A-1", 1), item("B-2", 2), item("C-3", 3)


def draft_po(*lines: tuple[Item, str | int, str | int], creator: User = BUYER, currency: str = "CNY") -> PurchaseOrder:
    po = PurchaseOrder(
        number="PO-2026-00001",
        supplier_id=1,
        supplier_code="ACME",
        currency=currency,
        warehouse_id=MAIN,
        created_by=creator.id,
        created_at=NOW,
        expected_date=TODAY + timedelta(days=7),
    )
    for it, qty, price in lines:
        po.add_line(it, q(qty), q(price), by(creator), POLICY)
    po.events.clear()
    return po


def approved_po(*lines: tuple[Item, str | int, str | int]) -> PurchaseOrder:
    """Submitted by BUYER and approved by as many managers as its tier needs."""
    po = draft_po(*lines)
    po.submit(by(BUYER), POLICY)
    for approver in (MANAGER, MANAGER2):
        if po.status == "pending_approval":
            po.approve(by(approver))
    po.events.clear()
    return po


def draft_so(*lines: tuple[Item, str | int], promised: date | None = None) -> SalesOrder:
    so = SalesOrder(
        number="SO-2026-00001",
        customer_id=1,
        customer_code="SHOP",
        currency="CNY",
        warehouse_id=MAIN,
        warehouse_code="MAIN",
        created_by=SALES.id,
        created_at=NOW,
        promised_date=promised,
    )
    for it, qty in lines:
        so.add_line(it, q(qty), q(10), by(SALES))
    return so


def event_names(agg: PurchaseOrder | SalesOrder) -> list[str]:
    return [e.name for e in agg.events]
