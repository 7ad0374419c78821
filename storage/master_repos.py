"""Repositories for master data: rows <-> domain objects, translated explicitly."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Row, Table, bindparam, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.errors import ConcurrencyConflict, DuplicateCode, NotFound
from domain.master import MAIN_WAREHOUSE, Customer, Item, Role, Supplier, User, Warehouse
from storage.chunks import slices
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
USER_BY_ID = select(users).where(users.c.id == bindparam("user"))

# Bulk paths (imports): keys per IN list in slices (storage.chunks); rows per executemany are
# bounded by the caller's chunks.
_ITEMS_BY_KEYS = select(items).where(items.c.sku_key.in_(bindparam("keys", expanding=True)))
_ITEM_VERSIONS = select(items.c.id, items.c.version).where(items.c.id.in_(bindparam("ids", expanding=True))).with_for_update()
# RETURNING the key, not in parameter order: that would make SQLAlchemy insert row by row.
_INSERT_ITEMS = insert(items).returning(items.c.sku_key, items.c.id)
_UPDATE_ITEMS = update(items).where(items.c.id == bindparam("b_id"))  # SET: the keys of the rows given
_OPEN_BALANCES = insert(stock_balances).from_select(
    ["item_id", "warehouse_id", "on_hand", "reserved"],
    select(
        items.c.id,
        select(warehouses.c.id).where(warehouses.c.code == MAIN_WAREHOUSE).scalar_subquery(),
        literal(0),
        literal(0),
    ).where(items.c.id.in_(bindparam("ids", expanding=True))),
)


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

    async def by_skus(self, skus: Collection[str]) -> dict[str, Item]:
        keys = sorted({s.strip().lower() for s in skus})
        found: dict[str, Item] = {}
        for part in slices(keys):
            for row in (await self.conn.execute(_ITEMS_BY_KEYS, {"keys": list(part)})).all():
                found[row.sku_key] = item_from_row(row)
        return found

    async def add_many(self, new: Sequence[Item]) -> None:
        if not new:
            return
        rows = [{**{f: getattr(item, f) for f in _ITEM_FIELDS}, "sku_key": item.key, "version": 0} for item in new]
        try:
            ids: dict[str, int] = {key: id_ for key, id_ in await self.conn.execute(_INSERT_ITEMS, rows)}
        except IntegrityError as exc:  # sku_key is unique: one of them exists (or was just inserted concurrently)
            raise DuplicateCode("item", new[0].sku if len(new) == 1 else f"{new[0].sku}…") from exc
        for item in new:
            item.id = ids[item.key]
        # The MAIN balances in one statement per slice, not a bound row each.
        for part in slices(sorted(ids.values())):
            await self.conn.execute(_OPEN_BALANCES, {"ids": list(part)})

    async def update_many(self, changed: Sequence[Item]) -> None:
        if not changed:
            return
        expected = {item.id: item.version for item in changed}
        for part in slices(sorted(i for i in expected if i is not None)):
            for row in (await self.conn.execute(_ITEM_VERSIONS, {"ids": list(part)})).all():
                if row.version != expected[row.id]:
                    raise ConcurrencyConflict(f"item {row.id} changed meanwhile")
                del expected[row.id]
        if expected:
            raise ConcurrencyConflict(f"{len(expected)} item(s) removed meanwhile")
        # The rows are locked and their versions checked, so a plain UPDATE by id is safe.
        rows = [
            {**{f: getattr(item, f) for f in _ITEM_FIELDS if f != "sku"}, "version": item.version + 1, "b_id": item.id}
            for item in changed
        ]
        await self.conn.execute(_UPDATE_ITEMS, rows)
        for item in changed:
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

    async def by_codes(self, codes: Collection[str]) -> dict[str, Any]:
        keys = sorted({c.strip().lower() for c in codes})
        query = select(self.table).where(self.table.c.code_key.in_(bindparam("keys", expanding=True)))
        found: dict[str, Any] = {}
        for part in slices(keys):
            for row in (await self.conn.execute(query, {"keys": list(part)})).all():
                found[row.code_key] = self._build(row)
        return found

    async def add_many(self, new: Sequence[Any]) -> None:
        if not new:
            return
        rows = [{**{f: getattr(p, f) for f in self.fields}, "code_key": p.code.lower()} for p in new]
        try:
            statement = insert(self.table).returning(self.table.c.code_key, self.table.c.id)
            ids: dict[str, int] = {key: id_ for key, id_ in await self.conn.execute(statement, rows)}
        except IntegrityError as exc:  # code_key is unique: one of them exists (or was just inserted concurrently)
            raise DuplicateCode(self.kind, new[0].code if len(new) == 1 else f"{new[0].code}…") from exc
        for partner in new:
            partner.id = ids[partner.code.lower()]

    async def update_many(self, changed: Sequence[Any]) -> None:
        if changed:
            rows = [{**{f: getattr(p, f) for f in self.fields if f != "code"}, "b_id": p.id} for p in changed]
            await self.conn.execute(update(self.table).where(self.table.c.id == bindparam("b_id")), rows)


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
    return User(row.id, row.name, roles, row.language, row.active, row.language_chosen)


class SqlUsers:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, user_id: int) -> User:
        row = (await self.conn.execute(USER_BY_ID, {"user": user_id})).first()  # every use case: built once
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
        "language_chosen": user.language_chosen,
    }
