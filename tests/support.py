"""Test helpers: a settable clock and a small company to act in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from domain import commands as c
from domain.approval import ApprovalPolicy, Tier
from domain.master import Role
from domain.services.base import Env
from domain.services.bus import Bus
from storage.checks import ledger_drift
from storage.database import Database
from storage.setup import ensure_admins
from storage.uow import SqlUnitOfWorkFactory

ADMIN, MANAGER, MANAGER2, BUYER, WAREHOUSE, SALES, VIEWER = 1001, 1002, 1003, 1004, 1005, 1006, 1007

POLICY = ApprovalPolicy(
    (
        Tier(Decimal(0), 0, frozenset()),
        Tier(Decimal(1000), 1, frozenset({Role.MANAGER, Role.ADMIN})),
        Tier(Decimal(10000), 2, frozenset({Role.MANAGER, Role.ADMIN})),
    )
)


@dataclass
class FrozenClock:
    # 10:00 in Shanghai on a Monday.
    current: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 2, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


def q(value: str | int) -> Decimal:
    return Decimal(str(value))


class World:
    """A company with one user per role, a supplier, a customer and a few items."""

    def __init__(self, db: Database, clock: FrozenClock, *, tolerance: str = "0") -> None:
        self.db, self.clock = db, clock
        self.env = Env(clock=clock, policy=POLICY, receipt_tolerance=Decimal(tolerance))
        self.bus = Bus(SqlUnitOfWorkFactory(db), self.env)

    def with_tolerance(self, tolerance: str) -> World:
        return World(self.db, self.clock, tolerance=tolerance)

    async def do(self, cmd: c.Command) -> Any:
        return await self.bus.handle(cmd)

    async def seed(self) -> None:
        await ensure_admins(self.db, [(ADMIN, "Ada")])
        for uid, name, role in [
            (MANAGER, "Mia", "manager"),
            (MANAGER2, "Max", "manager"),
            (BUYER, "Bo", "buyer"),
            (WAREHOUSE, "Wen", "warehouse"),
            (SALES, "Sam", "sales"),
            (VIEWER, "Vic", "viewer"),
        ]:
            await self.do(c.RegisterUser(actor_id=ADMIN, user_id=uid, name=name, roles=(role,)))
        await self.do(c.CreatePartner(actor_id=ADMIN, kind="supplier", code="ACME", name="Acme Ltd", lead_time_days=5))
        await self.do(c.CreatePartner(actor_id=ADMIN, kind="customer", code="SHOP", name="Corner Shop"))
        for sku, name, rp in [("A-1", "Bolt", 20), ("B-2", "Nut", 0), ("C-3", "Washer 垫圈", 0)]:
            await self.do(
                c.CreateItem(actor_id=ADMIN, sku=sku, name=name, reorder_point=q(rp), reorder_qty=q(50), default_supplier="ACME")
            )

    async def stock_in(self, sku: str, qty: int | str) -> None:
        await self.do(c.AdjustStock(actor_id=WAREHOUSE, sku=sku, delta=q(qty), reason="opening stock"))

    async def approved_po(self, lines: tuple[tuple[str, int | str, str], ...], **kw: Any) -> str:
        po = await self.do(
            c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=tuple((s, q(n), q(p)) for s, n, p in lines), **kw)
        )
        po = await self.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))
        while po.status.value == "pending_approval":
            approver = MANAGER if not po.approvals() else MANAGER2
            po = await self.do(c.ApprovePurchaseOrder(actor_id=approver, po=po.number))
        return str(po.number)

    async def confirmed_so(self, lines: tuple[tuple[str, int | str], ...], **kw: Any) -> str:
        so = await self.do(
            c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=tuple((s, q(n), q(10)) for s, n in lines), **kw)
        )
        await self.do(c.ConfirmSalesOrder(actor_id=SALES, so=so.number))
        return str(so.number)

    async def balance(self, sku: str) -> tuple[Decimal, Decimal]:
        """(on hand, reserved) in MAIN."""
        async with self.bus.uow_factory() as uow:
            item = await uow.items.by_sku(sku)
            assert item.id is not None
            pos = await uow.stock.position(item.id)
            return pos.on_hand, pos.reserved

    async def position(self, sku: str) -> Any:
        async with self.bus.uow_factory() as uow:
            item = await uow.items.by_sku(sku)
            assert item.id is not None
            return await uow.stock.position(item.id)

    async def po(self, ref: str) -> Any:
        async with self.bus.uow_factory() as uow:
            return await uow.pos.get(ref)

    async def so(self, ref: str) -> Any:
        async with self.bus.uow_factory() as uow:
            return await uow.sos.get(ref)

    async def count(self, table: Any, *where: Any) -> int:
        async with self.db.reading() as conn:
            return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)

    async def drift(self) -> list[Any]:
        async with self.db.reading() as conn:
            return await ledger_drift(conn)


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in primary-key order: two equal snapshots mean nothing changed.
    A person's language as their Telegram app reports it is left out: the bot learns it from any
    message (bot.middlewares.Actor), which is not a change anyone made."""
    from storage.tables import metadata, users

    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db.reading() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if c is not users.c.language]
            query = select(*columns).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(row) for row in (await conn.execute(query)).all()]
    return out
