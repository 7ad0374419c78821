"""What the use cases need from the outside world. Storage implements these; fakes may too."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from domain.acts import Act
from domain.alerts import ChatPlace
from domain.events import Event
from domain.master import Customer, Item, Supplier, User, Warehouse
from domain.purchasing import PurchaseOrder
from domain.readmodels import History, ItemCard, ItemHit, OrderSummary, Page, StockCard
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

    # Bulk paths for imports: the same rules as above, for many records in a few statements.
    async def by_skus(self, skus: Collection[str]) -> dict[str, Item]:
        """The items with these SKUs (case-insensitive), keyed by lower-cased SKU; unknown ones are left out."""
        ...

    async def add_many(self, items: Sequence[Item]) -> None:
        """Add each (sets its id, opens its MAIN balance at zero); DuplicateCode if a SKU exists."""
        ...

    async def update_many(self, items: Sequence[Item]) -> None:
        """Update each; ConcurrencyConflict if any changed since it was loaded (its version)."""
        ...


class Suppliers(Protocol):
    async def get(self, supplier_id: int) -> Supplier: ...
    async def by_code(self, code: str) -> Supplier: ...
    async def add(self, supplier: Supplier) -> Supplier: ...
    async def update(self, supplier: Supplier) -> None: ...
    async def by_codes(self, codes: Collection[str]) -> dict[str, Supplier]:
        """Keyed by lower-cased code; unknown codes are left out."""
        ...

    async def add_many(self, suppliers: Sequence[Supplier]) -> None:
        """Add each (sets its id); DuplicateCode if a code exists."""
        ...

    async def update_many(self, suppliers: Sequence[Supplier]) -> None: ...


class Customers(Protocol):
    async def get(self, customer_id: int) -> Customer: ...
    async def by_code(self, code: str) -> Customer: ...
    async def add(self, customer: Customer) -> Customer: ...
    async def update(self, customer: Customer) -> None: ...
    async def by_codes(self, codes: Collection[str]) -> dict[str, Customer]:
        """Keyed by lower-cased code; unknown codes are left out."""
        ...

    async def add_many(self, customers: Sequence[Customer]) -> None:
        """Add each (sets its id); DuplicateCode if a code exists."""
        ...

    async def update_many(self, customers: Sequence[Customer]) -> None: ...


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
    # Stored with the commit when set: a second commit under the same key fails with AlreadyApplied.
    idempotency_key: str | None

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def record(self, events: Iterable[Event]) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Reads(Protocol):
    """The read side front ends render from: snapshots, never locks, never writes."""

    async def user(self, user_id: int) -> User | None: ...

    async def user_names(self, user_ids: Collection[int]) -> dict[int, str]: ...

    async def users(self) -> list[User]:
        """Everyone registered, active or not, by id."""
        ...

    async def item_card(self, sku: str) -> ItemCard | None: ...

    async def stock_card(self, sku: str) -> StockCard | None: ...

    async def search_items(self, words: str, limit: int = 8) -> list[ItemHit]: ...

    async def item_names(self, skus: Collection[str]) -> dict[str, str]: ...

    async def po(self, number: str) -> PurchaseOrder | None: ...

    async def so(self, number: str) -> SalesOrder | None: ...

    async def po_list(
        self, status: Collection[str] | None = None, created_by: int | None = None, page: int = 0, page_size: int = 10
    ) -> Page[OrderSummary]: ...

    async def so_list(
        self, status: Collection[str] | None = None, created_by: int | None = None, page: int = 0, page_size: int = 10
    ) -> Page[OrderSummary]: ...

    async def awaiting(self, user: User) -> list[PurchaseOrder]:
        """Pending POs this user may decide now, oldest first."""
        ...

    async def history(self, ref: str, limit: int = 30) -> History | None: ...

    async def partner_name(self, kind: str, code: str) -> str | None: ...

    async def partner(self, kind: str, code: str) -> Supplier | Customer | None:
        """The supplier or customer with this code (any case), active or not."""
        ...


class Preferences(Protocol):
    """A person's own settings (language, alerts they turned off). No business effect, so no
    audit and no outbox: a write is one small statement that is fine to repeat."""

    async def set_language(self, user_id: int, language: str) -> None:
        """Store the language and remember it was chosen (it then wins over the Telegram app's)."""
        ...

    async def follow_app_language(self, user_id: int, language: str) -> None:
        """Store the Telegram app's language for someone who never chose one in /settings, so
        alerts (sent when they are not talking to the bot) speak it too."""
        ...

    async def muted(self, user_id: int) -> frozenset[str]:
        """The alert kinds this person turned off."""
        ...

    async def set_muted(self, user_id: int, kind: str, muted: bool) -> None: ...


class ChatTargets(Protocol):
    async def reachable(self, chat_id: int, at: datetime) -> bool:
        """The bot may write to this chat again (a person unblocked it or sent /start, a group
        let it back in): alerts go there again. True when it had been marked unreachable."""
        ...


class AlertBindings(Protocol):
    """Which alert kinds each group chat or forum topic receives (besides the people each
    alert concerns), and the chats alerts are delivered to. Writes are idempotent."""

    async def bind(self, place: ChatPlace, kinds: Sequence[str], by: int | None, lang: str, at: datetime) -> list[str]:
        """Bind the kinds to the chat or topic (those already bound stay as they were) and
        register the chat as an active delivery target in `lang`. Returns the kinds newly bound."""
        ...

    async def unbind(self, chat_id: int, thread_id: int, kinds: Sequence[str] | None) -> list[str]:
        """Unbind the kinds (None: every kind) from the chat or topic; returns those removed."""
        ...

    async def bound(self, chat_id: int, thread_id: int) -> list[str]: ...
