"""What the use cases need from the outside world. Storage implements these; fakes may too."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from domain.acts import Act
from domain.events import Event
from domain.master import Customer, Item, Supplier, User, Warehouse
from domain.purchasing import PurchaseOrder
from domain.sales import SalesOrder
from domain.stock import Balance, StockChange, StockPosition


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class Items(Protocol):
    async def get(self, item_id: int) -> Item: ...
    async def by_sku(self, sku: str) -> Item:
        """Case-insensitive; raises NotFound."""
        ...

    async def add(self, item: Item) -> Item:
        """Raises DuplicateCode when the SKU (case-insensitively) exists."""
        ...

    async def update(self, item: Item) -> None:
        """Raises ConcurrencyConflict if the item changed since it was loaded (its version)."""
        ...


class Suppliers(Protocol):
    async def get(self, supplier_id: int) -> Supplier: ...
    async def by_code(self, code: str) -> Supplier: ...
    async def add(self, supplier: Supplier) -> Supplier: ...
    async def update(self, supplier: Supplier) -> None: ...


class Customers(Protocol):
    async def get(self, customer_id: int) -> Customer: ...
    async def by_code(self, code: str) -> Customer: ...
    async def add(self, customer: Customer) -> Customer: ...
    async def update(self, customer: Customer) -> None: ...


class Warehouses(Protocol):
    async def get(self, warehouse_id: int) -> Warehouse: ...
    async def by_code(self, code: str) -> Warehouse: ...


class Users(Protocol):
    async def get(self, user_id: int) -> User:
        """Raises NotFound for people nobody registered."""
        ...

    async def add(self, user: User) -> None: ...
    async def update(self, user: User) -> None: ...


class Stock(Protocol):
    async def lock(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Balance]:
        """Lock the (item, warehouse) balances in ascending key order and return them.

        Missing balances are created at zero. Within one transaction, nobody else can change
        a locked balance until commit (row locks on PostgreSQL, the single writer on SQLite).
        """
        ...

    async def apply(self, changes: Sequence[StockChange], act: Act) -> None:
        """Apply every change or none: ledger moves plus balance updates, guarded in SQL so that
        on-hand never falls below reserved and reserved never below zero. Raises
        InsufficientStock naming every short line."""
        ...

    async def position(self, item_id: int) -> StockPosition:
        """On hand and reserved over all warehouses, plus approved PO quantity not yet received."""
        ...


class PurchaseOrders(Protocol):
    async def get(self, ref: str | int) -> PurchaseOrder:
        """Load by number or id and lock it for this transaction; raises NotFound."""
        ...

    async def add(self, po: PurchaseOrder) -> None: ...
    async def save(self, po: PurchaseOrder) -> None:
        """Raises ConcurrencyConflict if someone saved a newer version first."""
        ...

    async def draft_for_supplier(self, supplier_id: int) -> PurchaseOrder | None:
        """The supplier's draft PO, locked; holds the supplier until commit, so concurrent
        suggestions for one supplier cannot open two drafts."""
        ...


class SalesOrders(Protocol):
    async def get(self, ref: str | int) -> SalesOrder: ...
    async def add(self, so: SalesOrder) -> None: ...
    async def save(self, so: SalesOrder) -> None: ...
    async def waiting_for(self, item_ids: Collection[int], warehouse_id: int) -> dict[int, list[SalesOrder]]:
        """Per item, the open orders with a backorder of it, oldest promised date first, locked;
        one object per order even when it waits for several of the items."""
        ...


class Sequences(Protocol):
    async def next(self, name: str) -> int:
        """The next number of a named counter; never the same twice, also under concurrency."""
        ...


class UnitOfWork(Protocol):
    """One business transaction. Rolls back unless commit() is called; on commit, the events
    raised by the aggregates it saved become audit and outbox rows in the same transaction."""

    items: Items
    suppliers: Suppliers
    customers: Customers
    warehouses: Warehouses
    users: Users
    stock: Stock
    pos: PurchaseOrders
    sos: SalesOrders
    sequences: Sequences

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def record(self, events: Iterable[Event]) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
