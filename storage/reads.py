"""The read side as front ends see it (domain.ports.Reads): each call one snapshot, no locks."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select

from domain.errors import NotFound
from domain.master import Customer, Supplier, User
from domain.purchasing import POStatus, PurchaseOrder
from domain.readmodels import History, ItemCard, ItemHit, OrderSummary, Page, StockCard
from domain.sales import SalesOrder
from storage import views
from storage.database import Database
from storage.master_repos import USER_BY_ID, SqlCustomers, SqlItems, SqlSuppliers, user_from_row
from storage.order_repos import SqlPurchaseOrders, SqlSalesOrders
from storage.tables import customers, items, purchase_orders, suppliers, users


def _ignore(_: Any) -> None:
    """Reads never collect events."""


class SqlReads:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def user(self, user_id: int) -> User | None:
        rows = await self.db.points.fetch(USER_BY_ID, {"user": user_id})  # every update whose sender is not remembered
        return user_from_row(rows[0]) if rows else None

    async def user_names(self, user_ids: Collection[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        async with self.db.reading() as conn:
            rows = (await conn.execute(select(users.c.id, users.c.name).where(users.c.id.in_(list(user_ids))))).all()
        return {r.id: r.name for r in rows}

    async def users(self) -> list[User]:
        async with self.db.reading() as conn:
            rows = (await conn.execute(select(users).order_by(users.c.id))).all()
        return [user_from_row(r) for r in rows]

    async def item_card(self, sku: str) -> ItemCard | None:
        async with self.db.reading() as conn:  # one snapshot: the version matches the numbers shown
            card = await views.stock_card(conn, sku)
            if card is None:
                return None
            return ItemCard(await SqlItems(conn).get(card.item_id), card)

    async def stock_card(self, sku: str) -> StockCard | None:
        return await views.point_stock_card(self.db.points, sku)

    async def search_items(self, words: str, limit: int = 8) -> list[ItemHit]:
        async with self.db.reading() as conn:
            return await views.search_items(conn, words, limit)

    async def item_names(self, skus: Collection[str]) -> dict[str, str]:
        if not skus:
            return {}
        async with self.db.reading() as conn:
            keys = [s.strip().lower() for s in skus]
            rows = (await conn.execute(select(items.c.sku, items.c.name).where(items.c.sku_key.in_(keys)))).all()
        return {r.sku: r.name for r in rows}

    async def po(self, number: str) -> PurchaseOrder | None:
        async with self.db.reading() as conn:
            try:
                return await SqlPurchaseOrders(conn, _ignore, lock=False).get(number.strip().upper())
            except NotFound:
                return None

    async def so(self, number: str) -> SalesOrder | None:
        async with self.db.reading() as conn:
            try:
                return await SqlSalesOrders(conn, _ignore, lock=False).get(number.strip().upper())
            except NotFound:
                return None

    async def po_list(
        self, status: Collection[str] | None = None, created_by: int | None = None, page: int = 0, page_size: int = 10
    ) -> Page[OrderSummary]:
        async with self.db.reading() as conn:
            return await views.po_list(conn, status, created_by, page, page_size)

    async def so_list(
        self, status: Collection[str] | None = None, created_by: int | None = None, page: int = 0, page_size: int = 10
    ) -> Page[OrderSummary]:
        async with self.db.reading() as conn:
            return await views.so_list(conn, status, created_by, page, page_size)

    async def awaiting(self, user: User) -> list[PurchaseOrder]:
        # Pending POs are few at any moment (they are waiting on people), so each is loaded
        # whole and judged by the same rule the approval itself applies.
        async with self.db.reading() as conn:
            ids = (
                await conn.scalars(
                    select(purchase_orders.c.id)
                    .where(purchase_orders.c.status == POStatus.PENDING.value, purchase_orders.c.created_by != user.id)
                    .order_by(purchase_orders.c.submitted_at, purchase_orders.c.id)
                    .limit(200)
                )
            ).all()
            repo = SqlPurchaseOrders(conn, _ignore, lock=False)
            pos = [await repo.get(i) for i in ids]
        return [po for po in pos if po.can_decide(user)]

    async def history(self, ref: str, limit: int = 30) -> History | None:
        async with self.db.reading() as conn:
            return await views.history(conn, ref, limit)

    async def partner_name(self, kind: str, code: str) -> str | None:
        table = suppliers if kind == "supplier" else customers
        async with self.db.reading() as conn:
            return await conn.scalar(select(table.c.name).where(func.upper(table.c.code) == code.strip().upper()))

    async def partner(self, kind: str, code: str) -> Supplier | Customer | None:
        async with self.db.reading() as conn:
            repo = SqlSuppliers(conn) if kind == "supplier" else SqlCustomers(conn)
            try:
                found: Supplier | Customer = await repo.by_code(code)
            except NotFound:
                return None
        return found
