"""The read side on a small company with known numbers, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain import commands as c
from storage import views
from tests.support import ADMIN, BUYER, SALES, WAREHOUSE, World, q


async def _item(world: World, sku: str, name: str, rp: int, **kw: Any) -> None:
    await world.do(c.CreateItem(actor_id=ADMIN, sku=sku, name=name, reorder_point=q(rp), default_supplier="ACME", **kw))


async def _po(world: World, lines: tuple[tuple[str, int], ...], *, expected: date | None = None, by: int = BUYER) -> str:
    po = await world.do(
        c.CreatePurchaseOrder(
            actor_id=by, supplier="ACME", lines=tuple((s, q(n), q(1)) for s, n in lines), expected_date=expected
        )
    )
    return str(po.number)


async def test_low_stock_lists_items_whose_projected_quantity_is_below_the_reorder_point(world: World) -> None:
    await _item(world, "D-4", "Dowel", 10, max_qty=q(40), pack_size=q(6))
    await _item(world, "E-5", "Eyelet", 10)
    await _item(world, "F-6", "Fuse", 5)
    await world.do(c.UpdateItem(actor_id=ADMIN, sku="E-5", active=False))
    await world.stock_in("A-1", 5)
    await world.approved_po((("A-1", 10, "1"),))
    await world.stock_in("D-4", 12)
    await world.confirmed_so((("D-4", 4),))
    await world.stock_in("F-6", 10)
    await _po(world, (("F-6", 100),))  # a draft is not inbound

    async with world.db.reading() as conn:
        lines = await views.low_stock(conn)
        first = await views.low_stock(conn, limit=1)

    assert [(x.sku, x.projected, x.reorder_point, x.suggested_qty, x.supplier) for x in lines] == [
        ("A-1", q(15), q(20), q(50), "ACME"),  # 5 on hand + 10 inbound; reorder_qty 50
        ("D-4", q(8), q(10), q(36), "ACME"),  # 12 − 4 reserved; max 40 − 8 = 32, in packs of 6
    ]
    assert lines[0].shortfall == q(5)
    assert [x.sku for x in first] == ["A-1"]


async def test_overdue_lists_open_orders_past_their_date_with_days_late_and_open_quantity(world: World) -> None:
    await world.stock_in("B-2", 100)
    late = await world.approved_po((("A-1", 10, "1"), ("B-2", 5, "1")), expected_date=date(2026, 11, 25))
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=late, lines=(("A-1", q(4)),)))
    done = await world.approved_po((("A-1", 3, "1"),), expected_date=date(2026, 11, 24))
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=done))
    await world.approved_po((("A-1", 3, "1"),), expected_date=date(2026, 11, 30))  # not due yet
    await _po(world, (("A-1", 1),), expected=date(2026, 11, 24))  # a draft is never overdue
    so = await world.confirmed_so((("B-2", 8), ("C-3", 2)), promised_date=date(2026, 11, 24))
    await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=so, lines=(("B-2", q(3)),)))
    shipped = await world.confirmed_so((("B-2", 1),), promised_date=date(2026, 11, 24))
    await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=shipped))
    world.clock.advance(days=5)  # Saturday 28 November in Shanghai
    today = world.env.today()

    async with world.db.reading() as conn:
        pos = await views.overdue_pos(conn, today)
        sos = await views.overdue_sos(conn, today)
        none_yet = await views.overdue_pos(conn, date(2026, 11, 25))

    assert today == date(2026, 11, 28)
    assert [(o.number, o.partner, o.status, o.due, o.days_late, o.open_qty) for o in pos] == [
        (late, "ACME", "partially_received", date(2026, 11, 25), 3, q(11)),
    ]
    assert [(o.number, o.partner, o.status, o.due, o.days_late, o.open_qty) for o in sos] == [
        (so, "SHOP", "partially_shipped", date(2026, 11, 24), 4, q(7)),
    ]
    assert none_yet == []


async def test_the_stock_card_shows_each_warehouse_and_the_inbound_quantity(world: World) -> None:
    await world.stock_in("A-1", "7.5")
    await world.confirmed_so((("A-1", 2),))
    await world.approved_po((("A-1", 10, "1"),))

    async with world.db.reading() as conn:
        card = await views.stock_card(conn, " a-1 ")
        unknown = await views.stock_card(conn, "nope")

    assert card is not None
    assert (card.sku, card.name, card.supplier, card.reorder_point) == ("A-1", "Bolt", "ACME", q(20))
    assert [(w.warehouse, w.on_hand, w.reserved, w.available) for w in card.warehouses] == [("MAIN", q("7.5"), q(2), q("5.5"))]
    assert (card.on_hand, card.reserved, card.available, card.inbound, card.projected) == (
        q("7.5"),
        q(2),
        q("5.5"),
        q(10),
        q("15.5"),
    )
    assert card.is_low
    assert unknown is None


async def test_search_finds_items_by_sku_or_name_case_insensitively(world: World) -> None:
    await _item(world, "BOX-9", "Cardboard box", 0)

    async with world.db.reading() as conn:
        by_name = await views.search_items(conn, "BOLT", 10)
        chinese = await views.search_items(conn, "垫圈", 10)
        ranked = await views.search_items(conn, "b", 10)
        both_words = await views.search_items(conn, ["card", "box"], 10)
        limited = await views.search_items(conn, "-", 2)
        wildcard = await views.search_items(conn, "%", 10)
        empty = await views.search_items(conn, "  ", 10)

    assert [h.sku for h in by_name] == ["A-1"]
    assert [h.sku for h in chinese] == ["C-3"]
    assert [h.sku for h in ranked] == ["B-2", "BOX-9", "A-1"]  # SKU prefix first, then name matches
    assert [h.sku for h in both_words] == ["BOX-9"]
    assert [h.sku for h in limited] == ["A-1", "B-2"]
    assert wildcard == []
    assert empty == []


async def test_history_of_an_order_is_its_audit_trail_oldest_first(world: World) -> None:
    number = await world.approved_po((("A-1", 10, "1"),))
    world.clock.advance(hours=1)
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(4)),)))

    async with world.db.reading() as conn:
        timeline = await views.history(conn, number.lower())
        last = await views.history(conn, number, limit=1)
        unknown = await views.history(conn, "PO-1999-00001")

    assert timeline is not None and last is not None
    assert (timeline.kind, timeline.ref, timeline.truncated) == ("po", number, False)
    assert [e.action for e in timeline.entries] == ["PurchaseOrderCreated", "PurchaseOrderApproved", "GoodsReceived"]
    assert timeline.entries[-1].actor_id == WAREHOUSE
    assert timeline.entries[-1].details["lines"] == [["A-1", "4.000"]]
    assert [e.action for e in last.entries] == ["GoodsReceived"]
    assert last.truncated
    assert unknown is None


async def test_history_of_a_sku_merges_its_audit_trail_and_its_ledger_moves(world: World) -> None:
    world.clock.advance(minutes=1)
    await world.stock_in("A-1", 30)
    world.clock.advance(hours=1)
    so = await world.confirmed_so((("A-1", 12),))
    world.clock.advance(hours=1)
    await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=so))

    async with world.db.reading() as conn:
        timeline = await views.history(conn, "a-1")

    assert timeline is not None
    assert (timeline.kind, timeline.ref) == ("item", "A-1")
    assert [(e.action, e.qty, e.warehouse) for e in timeline.entries] == [
        ("MasterDataChanged", None, None),
        ("StockAdjusted", q(30), "MAIN"),  # one line for the adjustment and its ledger move
        ("StockFellBelowReorderPoint", None, None),  # the reservation took projected from 30 to 18
        ("shipment", q(-12), "MAIN"),
    ]
    assert timeline.entries[2].details["item_name"] == "Bolt"
    assert timeline.entries[3].ref == so
    assert [e.at for e in timeline.entries] == sorted(e.at for e in timeline.entries)


async def test_a_supplier_whose_code_equals_a_sku_stays_out_of_that_items_history(world: World) -> None:
    await world.do(c.CreatePartner(actor_id=ADMIN, kind="supplier", code="A-1", name="Same code as the bolt"))

    async with world.db.reading() as conn:
        timeline = await views.history(conn, "A-1")

    assert timeline is not None
    assert [e.action for e in timeline.entries] == ["MasterDataChanged"]  # the item's creation only
    assert timeline.entries[0].details["kind"] == "item"


async def test_order_lists_filter_by_status_and_creator_and_paginate_newest_first(world: World) -> None:
    first = await _po(world, (("A-1", 3), ("B-2", 2)))
    second = await world.approved_po((("A-1", "2.5", "4.10"),))
    third = await _po(world, (("C-3", 1),), by=ADMIN)
    so = await world.confirmed_so((("A-1", 2),), promised_date=date(2026, 12, 1))

    async with world.db.reading() as conn:
        page0 = await views.po_list(conn, page_size=2)
        page1 = await views.po_list(conn, page=1, page_size=2)
        drafts_by_buyer = await views.po_list(conn, status="draft", created_by=BUYER)
        open_ones = await views.po_list(conn, status=("approved", "partially_received"))
        sos = await views.so_list(conn, created_by=SALES)
        nobody = await views.so_list(conn, created_by=BUYER)

    assert [r.number for r in page0.rows] == [third, second]
    assert (page0.total, page0.pages, page0.has_prev, page0.has_next) == (3, 2, False, True)
    assert [r.number for r in page1.rows] == [first]
    assert (page1.has_prev, page1.has_next) == (True, False)
    assert [(r.number, r.partner, r.status, r.lines, r.open_qty, r.total) for r in drafts_by_buyer.rows] == [
        (first, "ACME", "draft", 2, q(5), Decimal("5.00")),
    ]
    assert [(r.number, r.total, r.currency) for r in open_ones.rows] == [(second, Decimal("10.25"), "CNY")]
    assert [(r.number, r.partner, r.status, r.due, r.open_qty, r.total) for r in sos.rows] == [
        (so, "SHOP", "confirmed", date(2026, 12, 1), q(2), Decimal("20.00")),
    ]
    assert (nobody.rows, nobody.total, nobody.pages) == ((), 0, 1)
