"""A PO loaded for a change while another transaction holds it must come back with that
transaction's lines, not only its header: on PostgreSQL a statement that waited for a row lock
re-reads the locked row alone, so lines joined into that statement would be a commit old and
the version check would pass with them (found in review: a receipt of 3 after a receipt of 5
left 3 received)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import select

from storage.tables import po_lines, purchase_orders
from storage.uow import SqlUnitOfWork
from tests.support import World


async def test_a_change_waiting_for_another_sees_its_lines(world: World) -> None:
    number = await world.approved_po((("A-1", 10, "2"),))
    first_saved = asyncio.Event()

    async def first() -> None:
        async with SqlUnitOfWork(world.db) as uow:
            po = await uow.pos.get(number)
            po.lines[0].received_qty += Decimal(5)
            await uow.pos.save(po)
            first_saved.set()
            await asyncio.sleep(0.5)  # the second is waiting for this order meanwhile
            await uow.commit()

    async def second() -> Decimal:
        await first_saved.wait()
        async with SqlUnitOfWork(world.db) as uow:
            po = await uow.pos.get(number)
            seen = po.lines[0].received_qty
            po.lines[0].received_qty += Decimal(3)
            await uow.pos.save(po)
            await uow.commit()
        return seen

    _, seen = await asyncio.gather(first(), second())

    async with world.db.reading() as conn:
        received = (
            await conn.scalars(select(po_lines.c.received_qty).join(purchase_orders).where(purchase_orders.c.number == number))
        ).one()
    assert (seen, received) == (Decimal(5), Decimal(8))
