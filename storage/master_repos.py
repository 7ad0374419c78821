"""Repositories for master data: rows <-> domain objects, translated explicitly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import ConcurrencyConflict, DuplicateCode, NotFound
from domain.master import MAIN_WAREHOUSE, Customer, Item, Role, Supplier, User, Warehouse
from storage.tables import customers, items, stock_balances, suppliers, users, warehouses

_ITEM_FIELDS = [
    "sku",
    "name",
    "unit",
    "barcode",
    "category",
    "reorder_point",
    "reorder_qty",
    "max_qty",
    "pack_size",
    "lead_time_days",
    "default_supplier_id",
    "std_cost",
    "last_cost",
    "active",
]
_PARTNER_FIELDS = ["code", "name", "phone", "email", "chat", "currency", "payment_terms", "active"]


_ITEM_BY_ID = select(items).where(items.c.id == bindparam("item"))
_USER_BY_ID = select(users).where(users.c.id == bindparam("user"))


def item_from_row(row: Row[Any]) -> Item:
    m = row._mapping
    return Item(**{f: m[f] for f in _ITEM_FIELDS}, id=m["id"], version=m["version"])


class SqlItems:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _one(self, where: Any, ref: object) -> Item:
        row = (await self.conn.execute(select(items).where(where))).first()
        if row is None:
            raise NotFound("item", ref)
        return item_from_row(row)

    async def get(self, item_id: int) -> Item:
        # Built once (a hot path: low-stock judging loads each changed item).
        row = (await self.conn.execute(_ITEM_BY_ID, {"item": item_id})).first()
        if row is None:
            raise NotFound("item", item_id)
        return item_from_row(row)

    async def by_sku(self, sku: str) -> Item:
        return await self._one(items.c.sku_key == sku.strip().lower(), sku.strip())

    async def add(self, item: Item) -> Item:
        exists = await self.conn.scalar(select(items.c.id).where(items.c.sku_key == item.key))
        if exists is not None:
            raise DuplicateCode("item", item.sku)
        values = {f: getattr(item, f) for f in _ITEM_FIELDS}
        try:
            item.id = (await self.conn.execute(insert(items).values(**values, sku_key=item.key, version=0))).inserted_primary_key[
                0
            ]  # type: ignore[index]
        except IntegrityError as exc:
            raise DuplicateCode("item", item.sku) from exc
        main = await self.conn.scalar(select(warehouses.c.id).where(warehouses.c.code == MAIN_WAREHOUSE))
        await self.conn.execute(insert(stock_balances).values(item_id=item.id, warehouse_id=main, on_hand=0, reserved=0))
        return item

    async def update(self, item: Item) -> None:
        values = {f: getattr(item, f) for f in _ITEM_FIELDS if f != "sku"}
        result = await self.conn.execute(
            update(items).where(items.c.id == item.id, items.c.version == item.version).values(**values, version=item.version + 1)
        )
        if result.rowcount != 1:
            raise ConcurrencyConflict(f"item {item.sku} changed meanwhile")
        item.version += 1


class _SqlPartners:
    table: Table
    kind: str
    factory: type[Supplier] | type[Customer]
    fields: tuple[str, ...] = tuple(_PARTNER_FIELDS)

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    def _build(self, row: Row[Any]) -> Any:
        m = row._mapping
        return self.factory(**{f: m[f] for f in self.fields}, id=m["id"])

    async def get(self, partner_id: int) -> Any:
        row = (await self.conn.execute(select(self.table).where(self.table.c.id == partner_id))).first()
        if row is None:
            raise NotFound(self.kind, partner_id)
        return self._build(row)

    async def by_code(self, code: str) -> Any:
        row = (await self.conn.execute(select(self.table).where(self.table.c.code_key == code.strip().lower()))).first()
        if row is None:
            raise NotFound(self.kind, code.strip())
        return self._build(row)

    async def add(self, partner: Any) -> Any:
        key = partner.code.lower()
        if await self.conn.scalar(select(self.table.c.id).where(self.table.c.code_key == key)) is not None:
            raise DuplicateCode(self.kind, partner.code)
        values = {f: getattr(partner, f) for f in self.fields}
        try:
            result = await self.conn.execute(insert(self.table).values(**values, code_key=key))
        except IntegrityError as exc:  # the same code inserted concurrently
            raise DuplicateCode(self.kind, partner.code) from exc
        partner.id = result.inserted_primary_key[0]  # type: ignore[index]
        return partner

    async def update(self, partner: Any) -> None:
        values = {f: getattr(partner, f) for f in self.fields if f != "code"}
        await self.conn.execute(update(self.table).where(self.table.c.id == partner.id).values(**values))


class SqlSuppliers(_SqlPartners):
    table, kind, factory = suppliers, "supplier", Supplier
    fields = (*_PARTNER_FIELDS, "lead_time_days")


class SqlCustomers(_SqlPartners):
    table, kind, factory = customers, "customer", Customer


class SqlWarehouses:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def _one(self, where: Any, ref: object) -> Warehouse:
        row = (await self.conn.execute(select(warehouses).where(where))).first()
        if row is None:
            raise NotFound("warehouse", ref)
        return Warehouse(row.id, row.code, row.name)

    async def get(self, warehouse_id: int) -> Warehouse:
        return await self._one(warehouses.c.id == warehouse_id, warehouse_id)

    async def by_code(self, code: str) -> Warehouse:
        return await self._one(warehouses.c.code == code.strip().upper(), code)


def user_from_row(row: Row[Any]) -> User:
    roles = frozenset(Role(r) for r in row.roles.split(",") if r)
    return User(row.id, row.name, roles, row.language, row.active)


class SqlUsers:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, user_id: int) -> User:
        row = (await self.conn.execute(_USER_BY_ID, {"user": user_id})).first()  # every use case: built once
        if row is None:
            raise NotFound("user", user_id)
        return user_from_row(row)

    async def add(self, user: User) -> None:
        if await self.conn.scalar(select(users.c.id).where(users.c.id == user.id)) is not None:
            raise DuplicateCode("user", str(user.id))
        try:
            await self.conn.execute(insert(users).values(**_user_values(user)))
        except IntegrityError as exc:  # registered concurrently
            raise DuplicateCode("user", str(user.id)) from exc

    async def update(self, user: User) -> None:
        await self.conn.execute(update(users).where(users.c.id == user.id).values(**_user_values(user)))


def _user_values(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "name": user.name,
        "language": user.language,
        "roles": ",".join(sorted(user.roles)),
        "active": user.active,
    }
