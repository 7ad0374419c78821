"""Races outside the stock ledger: one draft per supplier, item edits that must not undo each
other, and admins who must not lock each other out. Each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from domain import commands as c
from domain.errors import PermissionDenied
from domain.master import ADMINISTRATION
from storage.tables import purchase_orders
from tests.support import ADMIN, BUYER, World, q


async def test_suggestions_racing_for_one_supplier_share_one_draft(world: World) -> None:
    """Catches a draft lookup without the supplier lock (check, then create): on PostgreSQL two
    concurrent suggestions both found no draft and opened two (3 of 3 runs before the fix)."""
    for round_no in range(10):
        skus = [f"S{round_no}-{k}" for k in range(3)]
        for sku in skus:
            await world.do(c.CreateItem(actor_id=ADMIN, sku=sku, name=sku, default_supplier="ACME"))

        drafts = await asyncio.gather(*(world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku=s, qty=q(5))) for s in skus))

        assert len({po.number for po in drafts}) == 1
        async with world.db.reading() as conn:
            open_drafts = (await conn.scalars(select(purchase_orders.c.number).where(purchase_orders.c.status == "draft"))).all()
        assert len(open_drafts) == 1
        final = await world.po(open_drafts[0])
        assert sorted(ln.sku for ln in final.lines) == sorted(skus)
        await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=open_drafts[0]))  # next round starts afresh


async def test_two_people_editing_one_item_keep_both_changes(world: World) -> None:
    """Catches an unconditional item UPDATE (no version check): the slower edit wrote back the
    whole item as it had loaded it, undoing the faster one (seen on PostgreSQL)."""
    for round_no in range(10):
        name = f"Bolt v{round_no}"
        point = q(30 + round_no)

        await asyncio.gather(
            world.do(c.UpdateItem(actor_id=ADMIN, sku="A-1", name=name)),
            world.do(c.UpdateItem(actor_id=ADMIN, sku="A-1", reorder_point=point)),
        )

        async with world.bus.uow_factory() as uow:
            item = await uow.items.by_sku("A-1")
        assert (item.name, item.reorder_point) == (name, point)


async def test_two_admins_locking_each_other_out_leave_one_admin(world: World) -> None:
    """Catches the naive lockout check (is the actor an admin? then change the other person),
    made on rows read without a lock: on PostgreSQL two admins taking away each other's admin
    role, or deactivating each other, at once both passed, each still seeing the other as an
    admin, and nobody was left to run /users. On SQLite the write lock taken at BEGIN already
    serialises them; the test runs there too, so both backends keep the rule."""
    others = [(2101 + round_no, f"Admin {round_no}") for round_no in range(10)]
    for round_no, (other, name) in enumerate(others):
        await world.do(c.RegisterUser(actor_id=ADMIN, user_id=other, name=name, roles=("admin",)))
        off = round_no % 2 == 1  # even rounds take the admin role away, odd rounds deactivate
        changes = [
            c.SetUserRoles(actor_id=a, user_id=b, roles=("admin",) if off else ("viewer",), active=not off)
            for a, b in ((ADMIN, other), (other, ADMIN))
        ]

        outcomes = await asyncio.gather(*(world.do(cmd) for cmd in changes), return_exceptions=True)

        refused = [o for o in outcomes if isinstance(o, Exception)]
        assert len(refused) == 1 and isinstance(refused[0], PermissionDenied), outcomes
        async with world.bus.uow_factory() as uow:
            pair = [await uow.users.get(uid) for uid in (ADMIN, other)]
        assert [u.may(ADMINISTRATION) for u in pair].count(True) == 1
        if not pair[0].may(ADMINISTRATION):  # the other won this round: make ADMIN an admin again
            await world.do(c.SetUserRoles(actor_id=other, user_id=ADMIN, roles=("admin",), active=True))
        await world.do(c.SetUserRoles(actor_id=ADMIN, user_id=other, roles=("viewer",), active=False))
