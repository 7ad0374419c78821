"""The stock card read in one hand-off (storage.pointread) says exactly what the card read in a
transaction says, sees every commit at once, and never waits for a writer."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from domain import commands as c
from storage import views
from storage.database import Database
from storage.tables import warehouses
from tests.support import ADMIN, WAREHOUSE, World, q

ROOT = Path(__file__).resolve().parents[2]


async def _both(db: Database, sku: str) -> tuple[object, object]:
    async with db.reading() as conn:
        in_transaction = await views.stock_card(conn, sku)
    return in_transaction, await views.point_stock_card(db.points, sku)


async def test_the_point_read_card_equals_the_card_read_in_a_transaction(world: World) -> None:
    async with world.db.write_engine.begin() as conn:
        await conn.execute(insert(warehouses).values(code="EAST", name="East depot"))
    await world.stock_in("A-1", "7.5")
    await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=q("0.125"), reason="count", warehouse="EAST"))
    await world.confirmed_so((("A-1", 2),))
    await world.approved_po((("A-1", 10, "1"), ("B-2", "3.5", "1")))
    await world.do(c.CreateItem(actor_id=ADMIN, sku="Z-9", name="Zip <b>&</b>", reorder_point=q(0)))
    await world.do(c.UpdateItem(actor_id=ADMIN, sku="C-3", active=False))

    for sku in ("A-1", " a-1 ", "B-2", "C-3", "Z-9", "nope", "", "%", "a-1' OR 1=1 --"):
        in_transaction, point = await _both(world.db, sku)
        assert point == in_transaction, sku

    card = await views.point_stock_card(world.db.points, "A-1")
    assert card is not None
    per_warehouse = [(w.warehouse, w.on_hand, w.reserved) for w in card.warehouses]
    assert per_warehouse == [("EAST", q("0.125"), q(0)), ("MAIN", q("7.5"), q(2))]
    assert (card.on_hand, card.inbound, card.supplier, card.active) == (q("7.625"), q(10), "ACME", True)
    fresh = await views.point_stock_card(world.db.points, "Z-9")
    assert fresh is not None and (fresh.name, fresh.on_hand, fresh.inbound, fresh.supplier) == ("Zip <b>&</b>", q(0), q(0), None)


async def test_a_point_read_sees_each_commit_at_once(world: World) -> None:
    for n in range(1, 4):
        await world.stock_in("B-2", 1)
        card = await views.point_stock_card(world.db.points, "B-2")
        assert card is not None and card.on_hand == q(n)


async def test_on_sqlite_a_point_read_does_not_wait_for_a_writer_and_cannot_write(world: World) -> None:
    if not world.db.points.direct:
        pytest.skip("the direct path is SQLite's; PostgreSQL reads through the engine")
    await world.stock_in("B-2", 4)
    async with world.db.write_engine.connect() as writer:
        # The write engine begins with BEGIN IMMEDIATE: this holds the write lock, as a long unit of work would.
        await writer.execute(text("UPDATE items SET name = 'changing' WHERE sku = 'B-2'"))
        card = await asyncio.wait_for(views.point_stock_card(world.db.points, "B-2"), timeout=2)
        assert card is not None and (card.on_hand, card.name) == (q(4), "Nut")
        await writer.rollback()
    conn = world.db.points._conn
    assert conn is not None
    with pytest.raises(Exception, match="readonly|read-only"):
        await conn.execute("DELETE FROM items")
    async with world.db.reading() as check:
        assert (await check.execute(select(warehouses.c.code))).scalars().all() == ["MAIN"]


async def test_after_close_reads_go_through_the_engine_and_open_nothing(world: World) -> None:
    await world.stock_in("B-2", 2)
    await views.point_stock_card(world.db.points, "B-2")
    await world.db.points.close()

    card = await views.point_stock_card(world.db.points, "B-2")  # a late read during shutdown

    assert card is not None and card.on_hand == q(2)
    assert world.db.points._conn is None and not world.db.points.direct


async def test_a_point_read_missing_a_parameter_is_refused_not_read_as_null(world: World) -> None:
    if not world.db.points.direct:
        pytest.skip("parameters are checked on the direct path; the engine raises its own error")
    with pytest.raises(ValueError, match="exactly"):
        await world.db.points.fetch(views._STOCK_CARD, {"sku": "A-1"})


SCRIPT = """
import asyncio, sys
from storage.setup import open_database
from storage import views

async def main():
    db = await open_database(sys.argv[1], admins=[(1, "admin")])
    await views.point_stock_card(db.points, "A-1")
    await db.write_engine.dispose()
    await db.read_engine.dispose()  # the point reader is left open, as after a failed shutdown

asyncio.run(main())
"""


async def test_a_reader_left_open_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    """aiosqlite's thread is not a daemon by default: the interpreter would wait for it forever."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'left-open.db'}"
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", SCRIPT, url, cwd=ROOT)
    try:
        assert await asyncio.wait_for(child.wait(), timeout=60) == 0
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
