"""Races outside the stock ledger: one draft per supplier, and item edits that must not undo
each other. Each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from domain import commands as c
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
