"""In-memory implementations of the domain ports: fakes, not mocks (they keep the same rules)."""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from domain.acts import Act
from domain.errors import AlreadyApplied, ConcurrencyConflict, DuplicateCode, InsufficientStock, NotFound, Shortage
from domain.events import Event
from domain.master import Customer, Item, Supplier, User, Warehouse
from domain.purchasing import OPEN_INBOUND, PurchaseOrder
from domain.sales import OPEN_OUTBOUND, SalesOrder
from domain.stock import Balance, StockChange, StockPosition

ZERO = Decimal(0)


@dataclass
class Store:
    """What a database would hold; a unit of work works on a copy and swaps it in on commit."""

    items: dict[int, Item] = field(default_factory=dict)
    suppliers: dict[int, Supplier] = field(default_factory=dict)
    customers: dict[int, Customer] = field(default_factory=dict)
    warehouses: dict[int, Warehouse] = field(default_factory=lambda: {1: Warehouse(1, "MAIN", "Main")})
    users: dict[int, User] = field(default_factory=dict)
    balances: dict[tuple[int, int], Balance] = field(default_factory=dict)
    moves: list[tuple[int, int, Decimal, str, str]] = field(default_factory=list)
    pos: dict[int, PurchaseOrder] = field(default_factory=dict)
    sos: dict[int, SalesOrder] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    applied: set[str] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)
    commits: int = 0


class _ByCode:
    def __init__(self, rows: dict[int, Any], kind: str) -> None:
        self.rows, self.kind = rows, kind

    async def get(self, row_id: int) -> Any:
        if row_id not in self.rows:
            raise NotFound(self.kind, row_id)
        return self.rows[row_id]

    async def by_code(self, code: str) -> Any:
        for row in self.rows.values():
            if row.code.lower() == code.strip().lower():
                return row
        raise NotFound(self.kind, code)

    async def add(self, row: Any) -> Any:
        if any(r.code.lower() == row.code.lower() for r in self.rows.values()):
            raise DuplicateCode(self.kind, row.code)
        row.id = len(self.rows) + 1
        self.rows[row.id] = row
        return row

    async def update(self, row: Any) -> None:
        self.rows[row.id] = row

    async def by_codes(self, codes: Collection[str]) -> dict[str, Any]:
        wanted = {c.strip().lower() for c in codes}
        return {r.code.lower(): r for r in self.rows.values() if r.code.lower() in wanted}

    async def add_many(self, rows: Sequence[Any]) -> None:
        for row in rows:
            await self.add(row)

    async def update_many(self, rows: Sequence[Any]) -> None:
        for row in rows:
            await self.update(row)


class FakeItems:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, item_id: int) -> Item:
        if item_id not in self.store.items:
            raise NotFound("item", item_id)
        return self.store.items[item_id]

    async def by_sku(self, sku: str) -> Item:
        for item in self.store.items.values():
            if item.key == sku.strip().lower():
                return item
        raise NotFound("item", sku)

    async def add(self, item: Item) -> Item:
        if any(i.key == item.key for i in self.store.items.values()):
            raise DuplicateCode("item", item.sku)
        item.id = len(self.store.items) + 1
        self.store.items[item.id] = item
        self.store.balances[(item.id, 1)] = Balance(ZERO, ZERO)
        return item

    async def update(self, item: Item) -> None:
        assert item.id is not None
        current = self.store.items.get(item.id)
        if current is not None and current.version != item.version:
            raise ConcurrencyConflict(f"item {item.sku} changed meanwhile")
        item.version += 1
        self.store.items[item.id] = item

    async def by_skus(self, skus: Collection[str]) -> dict[str, Item]:
        wanted = {s.strip().lower() for s in skus}
        return {i.key: i for i in self.store.items.values() if i.key in wanted}

    async def add_many(self, items: Sequence[Item]) -> None:
        for item in items:
            await self.add(item)

    async def update_many(self, items: Sequence[Item]) -> None:
        for item in items:
            await self.update(item)


class FakeUsers:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, user_id: int) -> User:
        if user_id not in self.store.users:
            raise NotFound("user", user_id)
        return self.store.users[user_id]

    async def add(self, user: User) -> None:
        if user.id in self.store.users:
            raise DuplicateCode("user", str(user.id))
        self.store.users[user.id] = user

    async def update(self, user: User) -> None:
        self.store.users[user.id] = user


class FakeStock:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def lock(self, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Balance]:
        return {k: self.store.balances.setdefault(k, Balance(ZERO, ZERO)) for k in sorted(set(keys))}

    async def apply(self, changes: Sequence[StockChange], act: Act) -> None:
        short = []
        for ch in changes:
            bal = self.store.balances.setdefault(ch.key, Balance(ZERO, ZERO))
            new = Balance(bal.on_hand + ch.on_hand_delta, bal.reserved + ch.reserved_delta)
            if new.reserved < 0 or new.on_hand < new.reserved:
                short.append(Shortage(ch.sku, "MAIN", ch.reserved_delta - ch.on_hand_delta, bal.available))
            else:
                self.store.balances[ch.key] = new
                if ch.kind is not None and ch.on_hand_delta:
                    self.store.moves.append((ch.item_id, ch.warehouse_id, ch.on_hand_delta, ch.kind.value, ch.ref))
        if short:
            raise InsufficientStock(short)

    async def position(self, item_id: int) -> StockPosition:
        bals = [b for (i, _), b in self.store.balances.items() if i == item_id]
        inbound = sum(
            (
                ln.open_qty
                for po in self.store.pos.values()
                if po.status in OPEN_INBOUND
                for ln in po.lines
                if ln.item_id == item_id
            ),
            ZERO,
        )
        return StockPosition(sum((b.on_hand for b in bals), ZERO), sum((b.reserved for b in bals), ZERO), inbound)


class FakeOrders:
    def __init__(self, rows: dict[int, Any], kind: str, collect: Any) -> None:
        self.rows, self.kind, self.collect = rows, kind, collect

    async def get(self, ref: str | int) -> Any:
        for order in self.rows.values():
            if order.id == ref or order.number == str(ref).strip().upper():
                return order
        raise NotFound(self.kind, ref)

    async def add(self, order: Any) -> None:
        order.id = len(self.rows) + 1
        await self.save(order)

    async def save(self, order: Any) -> None:
        self.rows[order.id] = order
        self.collect(order.events)
        order.events = []

    async def draft_for_supplier(self, supplier_id: int) -> PurchaseOrder | None:
        drafts = [po for po in self.rows.values() if po.supplier_id == supplier_id and po.status == "draft"]
        return min(drafts, key=lambda po: po.id) if drafts else None

    async def waiting_for(self, item_ids: Collection[int], warehouse_id: int) -> dict[int, list[SalesOrder]]:
        def waits(so: SalesOrder, item_id: int) -> bool:
            return (
                so.status in OPEN_OUTBOUND
                and so.warehouse_id == warehouse_id
                and any(ln.item_id == item_id and ln.backorder > 0 for ln in so.lines)
            )

        ordered = sorted(self.rows.values(), key=lambda so: (so.promised_date is None, so.promised_date, so.id))
        return {item_id: [so for so in ordered if waits(so, item_id)] for item_id in item_ids}


class FakeSequences:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def next(self, name: str) -> int:
        self.store.counters[name] = self.store.counters.get(name, 0) + 1
        return self.store.counters[name]


class FakeUnitOfWork:
    def __init__(self, committed: Store) -> None:
        self.committed = committed
        self.idempotency_key: str | None = None

    async def __aenter__(self) -> Self:
        self.store = copy.deepcopy(self.committed)
        self._events: list[Event] = []
        s = self.store
        self.items = FakeItems(s)
        self.suppliers = _ByCode(s.suppliers, "supplier")
        self.customers = _ByCode(s.customers, "customer")
        self.warehouses = _ByCode(s.warehouses, "warehouse")
        self.users = FakeUsers(s)
        self.stock = FakeStock(s)
        self.pos = FakeOrders(s.pos, "po", self.record)
        self.sos = FakeOrders(s.sos, "so", self.record)
        self.sequences = FakeSequences(s)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        pass  # nothing committed means nothing changed: the copy is dropped

    def record(self, events: Iterable[Event]) -> None:
        self._events.extend(events)

    async def commit(self) -> None:
        if self.idempotency_key is not None:
            if self.idempotency_key in self.store.applied:
                raise AlreadyApplied(self.idempotency_key)
            self.store.applied.add(self.idempotency_key)
        for name in vars(self.committed):
            setattr(self.committed, name, getattr(self.store, name))
        self.committed.events = [*self.committed.events, *self._events]
        self.committed.commits += 1
