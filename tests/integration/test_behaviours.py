"""The purchasing, stock and sales behaviours of the core, through the Bus on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from domain import commands as c
from domain.acts import Act, Source
from domain.errors import InsufficientStock, InvalidInput, OverReceipt
from storage.tables import audit_log, outbox, purchase_orders, stock_moves
from tests.support import ADMIN, BUYER, MANAGER, MANAGER2, SALES, WAREHOUSE, World, q


async def rows(world: World, table: Any, *where: Any, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    async with world.db.reading() as conn:
        query = select(*(table.c[name] for name in columns)).where(*where).order_by(table.c.id)
        return [tuple(r) for r in (await conn.execute(query)).all()]


async def outbox_kinds(world: World) -> list[str]:
    return [kind for (kind,) in await rows(world, outbox, columns=("kind",))]


async def outbox_payloads(world: World, kind: str) -> list[dict[str, Any]]:
    return [payload for (payload,) in await rows(world, outbox, outbox.c.kind == kind, columns=("payload",))]


async def new_po(world: World, *lines: tuple[str, int | str, int | str], actor: int = BUYER, **kw: Any) -> str:
    po = await world.do(
        c.CreatePurchaseOrder(actor_id=actor, supplier="ACME", lines=tuple((s, q(n), q(p)) for s, n, p in lines), **kw)
    )
    return str(po.number)


async def new_so(world: World, *lines: tuple[str, int | str], **kw: Any) -> str:
    so = await world.do(
        c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=tuple((s, q(n), q(10)) for s, n in lines), **kw)
    )
    return str(so.number)


# --- approval ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qty", "price", "approvals"),
    [(100, "9.9999", 0), (100, "10", 1), (1000, "10", 2)],
    ids=["just_below_1000_is_automatic", "exactly_1000_needs_one", "exactly_10000_needs_two"],
)
async def test_a_po_whose_total_equals_a_tier_threshold_needs_that_tiers_approvals(
    world: World, qty: int, price: str, approvals: int
) -> None:
    number = await new_po(world, ("A-1", qty, price))

    po = await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=number))
    statuses = [po.status]
    for approver in (MANAGER, MANAGER2)[:approvals]:
        statuses.append((await world.do(c.ApprovePurchaseOrder(actor_id=approver, po=number))).status)

    assert po.approvals_needed == approvals
    assert statuses == ["pending_approval"] * approvals + ["approved"]
    stored = await world.po(number)
    assert stored.status == "approved"
    assert [d.user_id for d in stored.decisions] == [MANAGER, MANAGER2][:approvals]


async def test_an_approved_po_whose_quantity_changes_goes_back_to_pending_approval(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),))

    po = await world.do(c.EditPurchaseOrder(actor_id=BUYER, po=number, sku="A-1", qty=q(120)))

    assert po.status == "pending_approval"
    stored = await world.po(number)
    assert (stored.status, stored.approval_round, stored.approvals()) == ("pending_approval", 2, [])
    assert (await world.position("A-1")).inbound == 0  # not inbound until approved again


async def test_a_changed_po_approved_again_is_inbound_with_its_new_quantity(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),))
    await world.do(c.EditPurchaseOrder(actor_id=BUYER, po=number, sku="A-1", qty=q(120)))

    po = await world.do(c.ApprovePurchaseOrder(actor_id=MANAGER, po=number))

    assert po.status == "approved"
    assert (await world.position("A-1")).inbound == 120


async def test_an_approved_po_whose_price_changes_goes_back_to_pending_approval(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),))

    po = await world.do(c.EditPurchaseOrder(actor_id=BUYER, po=number, sku="A-1", price=q("10.5")))

    assert po.status == "pending_approval"
    assert (await world.po(number)).approval_round == 2


# --- receiving and returning ------------------------------------------------------------------


async def test_receiving_60_of_100_leaves_40_open_and_the_po_partially_received(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),))

    po = await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),)))

    assert po.status == "partially_received"
    stored = await world.po(number)
    assert (stored.status, stored.lines[0].received_qty, stored.open_qty) == ("partially_received", 60, 40)
    position = await world.position("A-1")
    assert (position.on_hand, position.inbound, position.projected) == (60, 40, 100)
    assert await world.drift() == []


async def test_a_second_receipt_of_45_is_refused_at_0_percent_tolerance(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),))
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),)))
    moves = await world.count(stock_moves)

    with pytest.raises(OverReceipt) as caught:
        await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(45)),)))

    assert (caught.value.attempted, caught.value.allowed) == (45, 40)
    assert (await world.po(number)).lines[0].received_qty == 60
    assert await world.balance("A-1") == (60, 0)
    assert await world.count(stock_moves) == moves


async def test_a_second_receipt_of_45_is_accepted_at_5_percent_tolerance(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),))
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),)))
    lenient = world.with_tolerance("0.05")

    po = await lenient.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(45)),)))

    assert po.status == "received"
    assert (await world.po(number)).lines[0].received_qty == 105
    assert await world.balance("A-1") == (105, 0)
    assert (await world.position("A-1")).inbound == 0
    assert await world.drift() == []


async def test_a_return_lowers_the_received_quantity_and_the_stock(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),))
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),)))

    po = await world.do(c.ReturnToSupplier(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(10)),), reason="damaged"))

    assert po.lines[0].received_qty == 50
    assert (await world.po(number)).lines[0].received_qty == 50
    assert await world.balance("A-1") == (50, 0)
    moves = await rows(world, stock_moves, stock_moves.c.ref == number, columns=("kind", "qty", "actor_id"))
    assert moves == [("receipt", 60, WAREHOUSE), ("return", -10, WAREHOUSE)]
    assert await world.drift() == []


async def test_a_return_of_everything_received_brings_the_po_back_to_approved(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),))
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),)))

    po = await world.do(c.ReturnToSupplier(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),), reason="wrong item"))

    assert po.status == "approved"
    assert await world.balance("A-1") == (0, 0)
    assert (await world.position("A-1")).inbound == 100


# --- sales orders and reservations --------------------------------------------------------------


async def test_an_so_for_10_reserves_10_shipping_5_leaves_5_and_cancelling_releases_them(world: World) -> None:
    await world.stock_in("A-1", 30)
    number = await world.confirmed_so((("A-1", 10),))
    reserved_at_confirmation = await world.balance("A-1")

    await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=number, lines=(("A-1", q(5)),)))
    after_shipping = await world.balance("A-1")
    so = await world.do(c.CancelSalesOrder(actor_id=SALES, so=number))

    assert reserved_at_confirmation == (30, 10)
    assert after_shipping == (25, 5)
    assert await world.balance("A-1") == (25, 0)
    assert so.status == "cancelled"
    assert await world.drift() == []


async def test_reserved_stock_cannot_be_shipped_for_another_order_or_adjusted_away(world: World) -> None:
    await world.stock_in("C-3", 10)
    first = await world.confirmed_so((("C-3", 10),))
    second = await world.confirmed_so((("C-3", 4),))

    with pytest.raises(InsufficientStock) as shipping:
        await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=second, lines=(("C-3", q(4)),)))
    with pytest.raises(InsufficientStock) as correcting:
        await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="C-3", delta=q(-1), reason="broken"))
    with pytest.raises(InsufficientStock) as counting:
        await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="C-3", counted=q(9), reason="stocktake"))

    assert [(s.sku, s.available) for s in shipping.value.shortages] == [("C-3", 0)]
    assert [(s.sku, s.available) for s in correcting.value.shortages] == [("C-3", 0)]
    assert len(counting.value.shortages) == 1
    assert await world.balance("C-3") == (10, 10)
    assert (await world.so(second)).lines[0].reserved_qty == 0
    assert (await world.so(first)).lines[0].reserved_qty == 10
    assert await world.drift() == []


async def test_confirming_without_backorders_lists_every_short_line_and_reserves_nothing(world: World) -> None:
    await world.stock_in("B-2", 3)
    number = await new_so(world, ("A-1", 5), ("B-2", 4), ("C-3", 1))

    with pytest.raises(InsufficientStock) as caught:
        await world.do(c.ConfirmSalesOrder(actor_id=SALES, so=number, allow_backorder=False))

    assert [(s.sku, s.requested, s.available) for s in caught.value.shortages] == [("A-1", 5, 0), ("B-2", 4, 3), ("C-3", 1, 0)]
    assert await world.balance("B-2") == (3, 0)
    assert (await world.so(number)).status == "draft"


async def test_a_receipt_reserves_for_the_waiting_backorder_with_the_oldest_promised_date_first(world: World) -> None:
    later = await new_so(world, ("B-2", 10), promised_date=date(2026, 12, 10))
    undated = await new_so(world, ("B-2", 10))
    sooner = await new_so(world, ("B-2", 10), promised_date=date(2026, 12, 1))
    for number in (later, undated, sooner):
        await world.do(c.ConfirmSalesOrder(actor_id=SALES, so=number))
    po = await world.approved_po((("B-2", 50, "1"),))

    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po, lines=(("B-2", q(15)),)))
    first = [(await world.so(n)).lines[0].reserved_qty for n in (sooner, later, undated)]
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po, lines=(("B-2", q(10)),)))
    second = [(await world.so(n)).lines[0].reserved_qty for n in (sooner, later, undated)]

    assert first == [10, 5, 0]
    assert second == [10, 10, 5]
    assert await world.balance("B-2") == (25, 25)
    assert await world.drift() == []


async def test_a_receipt_reserves_only_what_is_free_and_leaves_the_rest_available(world: World) -> None:
    number = await world.confirmed_so((("B-2", 4),))
    po = await world.approved_po((("B-2", 50, "1"),))

    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po))

    assert (await world.so(number)).lines[0].reserved_qty == 4
    assert await world.balance("B-2") == (50, 4)


async def test_a_receipt_serves_a_sales_order_waiting_for_two_of_its_items(world: World) -> None:
    number = await world.confirmed_so((("B-2", 5), ("C-3", 5)))
    po = await world.approved_po((("B-2", 10, "1"), ("C-3", 10, "1")))

    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po))

    so = await world.so(number)
    assert [(ln.sku, ln.reserved_qty) for ln in so.lines] == [("B-2", 5), ("C-3", 5)]
    assert await world.balance("B-2") == (10, 5)
    assert await world.balance("C-3") == (10, 5)
    assert len(await outbox_payloads(world, "BackorderReserved")) == 2
    assert await world.drift() == []


async def test_a_receipt_that_serves_backorders_emits_backorder_reserved(world: World) -> None:
    number = await world.confirmed_so((("B-2", 10),))
    po = await world.approved_po((("B-2", 50, "1"),))

    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po, lines=(("B-2", q(6)),)))

    payloads = await outbox_payloads(world, "BackorderReserved")
    assert len(payloads) == 1
    reserved = payloads[0]
    assert (reserved["ref"], reserved["sku"], reserved["po"]) == (number, "B-2", po)
    assert (Decimal(reserved["qty"]), Decimal(reserved["still_missing"])) == (6, 4)
    assert (reserved["actor_id"], reserved["source"]) == (WAREHOUSE, "chat")


# --- replenishment ------------------------------------------------------------------------------


async def test_a_second_low_stock_suggestion_grows_the_existing_draft_po_line(world: World) -> None:
    await world.do(c.UpdateItem(actor_id=ADMIN, sku="A-1", max_qty=q(100)))
    await world.stock_in("A-1", 15)
    first = await world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku="A-1"))
    await world.confirmed_so((("A-1", 10),))

    second = await world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku="A-1"))

    assert first.number == second.number
    assert first.lines[0].qty == 85  # max 100 - projected 15
    draft = await world.po(second.number)
    assert (draft.status, [(ln.sku, ln.qty) for ln in draft.lines]) == ("draft", [("A-1", 95)])
    assert await world.count(purchase_orders) == 1


async def test_suggestions_for_other_items_of_the_same_supplier_share_one_draft(world: World) -> None:
    first = await world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku="A-1"))

    second = await world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku="B-2", qty=q(30)))
    backorder = await world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku="B-2", qty=q(5), reason="backorder"))

    assert first.number == second.number == backorder.number
    draft = await world.po(first.number)
    assert [(ln.sku, ln.qty) for ln in draft.lines] == [("A-1", 50), ("B-2", 35)]
    assert await world.count(purchase_orders) == 1


async def test_a_smaller_low_stock_suggestion_does_not_shrink_the_draft(world: World) -> None:
    first = await world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku="A-1", qty=q(80)))

    second = await world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku="A-1"))

    assert first.number == second.number
    assert (await world.po(first.number)).lines[0].qty == 80


async def test_once_the_draft_is_submitted_the_next_suggestion_starts_a_new_draft(world: World) -> None:
    first = await world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku="A-1"))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=first.number))

    second = await world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku="A-1"))

    assert second.number != first.number
    assert await world.count(purchase_orders) == 2


# --- time -------------------------------------------------------------------------------------


async def test_overdue_is_judged_by_the_date_in_the_company_time_zone(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),), expected_date=date(2026, 11, 23))
    world.clock.current = datetime(2026, 11, 23, 15, 59, tzinfo=UTC)  # 23:59 in Shanghai
    late_evening = (await world.po(number)).is_overdue(world.env.today())

    world.clock.current = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 01:00 on the 24th in Shanghai
    after_midnight = (await world.po(number)).is_overdue(world.env.today())

    assert world.env.today() == date(2026, 11, 24)
    assert (late_evening, after_midnight) == (False, True)


async def test_overdue_needs_something_left_to_receive(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),), expected_date=date(2026, 11, 23))
    world.clock.current = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(99)),)))
    partly = (await world.po(number)).is_overdue(world.env.today())

    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(1)),)))

    assert partly
    assert not (await world.po(number)).is_overdue(world.env.today())


async def test_an_expected_date_that_is_already_past_in_shanghai_is_refused(world: World) -> None:
    world.clock.current = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # still the 23rd in UTC

    with pytest.raises(InvalidInput) as caught:
        await new_po(world, ("A-1", 1, "1"), expected_date=date(2026, 11, 23))

    assert caught.value.reason == "in_past"
    assert await world.count(purchase_orders) == 0


async def test_numbers_follow_the_year_in_the_company_time_zone(world: World) -> None:
    world.clock.current = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 January in Shanghai

    number = await new_po(world, ("A-1", 1, "1"))

    assert number == "PO-2027-00001"


# --- audit trail and outbox -------------------------------------------------------------------


async def test_the_audit_trail_records_who_did_what_through_which_channel(world: World) -> None:
    number = await new_po(world, ("A-1", 100, "10"))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=number))
    world.clock.advance(minutes=5)
    await world.do(c.ApprovePurchaseOrder(actor_id=MANAGER, po=number))
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),), source="cli"))

    trail = await rows(world, audit_log, audit_log.c.ref == number, columns=("action", "actor_id", "source", "entity", "at"))

    assert [row[:4] for row in trail] == [
        ("PurchaseOrderCreated", BUYER, "chat", "po"),
        ("PurchaseOrderSubmitted", BUYER, "chat", "po"),
        ("PurchaseOrderApproved", MANAGER, "chat", "po"),
        ("GoodsReceived", WAREHOUSE, "cli", "po"),
    ]
    assert trail[2][4] == datetime(2026, 11, 23, 2, 5, tzinfo=UTC)
    moves = await rows(world, stock_moves, stock_moves.c.ref == number, columns=("kind", "qty", "actor_id", "source"))
    assert moves == [("receipt", 60, WAREHOUSE, "cli")]


async def test_every_stock_move_and_adjustment_names_its_actor_and_source(world: World) -> None:
    await world.do(c.AdjustStock(actor_id=ADMIN, sku="B-2", delta=q(7), reason="found in the back", source="import"))

    moves = await rows(world, stock_moves, columns=("kind", "qty", "actor_id", "source", "ref"))
    trail = await rows(world, audit_log, audit_log.c.ref == "B-2", columns=("action", "actor_id", "source", "details"))

    assert [m[:4] for m in moves] == [("adjustment", 7, ADMIN, "import")]
    assert moves[0][4].startswith("ADJ-2026-")
    adjusted = [t for t in trail if t[0] == "StockAdjusted"]
    assert [(t[1], t[2], t[3]["reason"], Decimal(t[3]["delta"])) for t in adjusted] == [(ADMIN, "import", "found in the back", 7)]


async def test_events_land_in_the_outbox_with_the_business_change(world: World) -> None:
    number = await new_po(world, ("A-1", 100, "10"))

    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=number))

    submitted = await outbox_payloads(world, "PurchaseOrderSubmitted")
    assert [(p["ref"], p["actor_id"], p["approvals_needed"]) for p in submitted] == [(number, BUYER, 1)]
    assert await outbox_payloads(world, "PurchaseOrderCreated") == []  # audit only, nobody is told
    status = await rows(world, outbox, outbox.c.kind == "PurchaseOrderSubmitted", columns=("status", "attempts"))
    assert status == [("pending", 0)]


@contextmanager
def crash_after_outbox_write(world: World) -> Iterator[list[str]]:
    """Fail the use case right after its outbox rows were written, before its COMMIT."""
    written: list[str] = []

    def boom(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX") and not written:
            written.append(statement)
            raise RuntimeError("power cut before commit")

    engine = world.db.write_engine.sync_engine
    event.listen(engine, "after_cursor_execute", boom)
    try:
        yield written
    finally:
        event.remove(engine, "after_cursor_execute", boom)


async def test_a_use_case_that_fails_before_commit_leaves_no_outbox_audit_or_stock_row(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),))
    await world.confirmed_so((("A-1", 10),))
    before = (await world.count(outbox), await world.count(audit_log), await world.count(stock_moves))

    with crash_after_outbox_write(world) as written, pytest.raises(RuntimeError, match="power cut"):
        await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),)))

    assert len(written) == 1
    assert (await world.count(outbox), await world.count(audit_log), await world.count(stock_moves)) == before
    assert (await world.po(number)).status == "approved"
    assert await world.balance("A-1") == (0, 0)
    assert await world.drift() == []


async def test_the_same_receipt_succeeds_once_the_failure_is_gone(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "10"),))
    await world.confirmed_so((("A-1", 10),))
    with crash_after_outbox_write(world), pytest.raises(RuntimeError):
        await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),)))

    po = await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),)))

    assert po.status == "partially_received"
    assert await world.balance("A-1") == (60, 10)
    kinds = await outbox_kinds(world)
    assert (kinds.count("GoodsReceived"), kinds.count("BackorderReserved")) == (1, 1)


async def test_a_unit_of_work_left_without_commit_rolls_back_its_events(world: World) -> None:
    number = await new_po(world, ("A-1", 100, "10"))
    before = (await world.count(outbox), await world.count(audit_log))

    async with world.bus.uow_factory() as uow:
        po = await uow.pos.get(number)
        po.submit(Act(await uow.users.get(BUYER), world.clock.now(), Source.CHAT), world.env.policy)
        await uow.pos.save(po)

    assert (await world.count(outbox), await world.count(audit_log)) == before
    assert (await world.po(number)).status == "draft"


# --- low stock --------------------------------------------------------------------------------


async def test_the_low_stock_event_is_raised_once_when_crossing_and_not_again_while_still_low(world: World) -> None:
    await world.stock_in("A-1", 30)

    await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=q(-15), reason="broken"))
    crossing = await outbox_payloads(world, "StockFellBelowReorderPoint")
    await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=q(-5), reason="broken"))
    await world.confirmed_so((("A-1", 3),))
    still_low = await outbox_payloads(world, "StockFellBelowReorderPoint")

    assert len(crossing) == 1
    assert (crossing[0]["ref"], Decimal(crossing[0]["projected"]), Decimal(crossing[0]["suggested_qty"])) == ("A-1", 15, 50)
    assert still_low == crossing


async def test_the_low_stock_event_is_raised_again_after_the_item_recovered(world: World) -> None:
    await world.stock_in("A-1", 30)
    await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=q(-15), reason="broken"))
    await world.stock_in("A-1", 20)

    await world.confirmed_so((("A-1", 20),))

    crossings = await outbox_payloads(world, "StockFellBelowReorderPoint")
    assert [Decimal(p["projected"]) for p in crossings] == [15, 15]


async def test_a_shipment_of_free_stock_that_crosses_the_reorder_point_raises_the_event(world: World) -> None:
    number = await world.confirmed_so((("A-1", 10),))  # nothing in stock: all of it backordered
    await world.stock_in("A-1", 25)  # found on the shelf, reserved for nobody

    await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=number, lines=(("A-1", q(10)),)))

    crossings = await outbox_payloads(world, "StockFellBelowReorderPoint")
    assert [Decimal(p["projected"]) for p in crossings] == [15]
    assert await world.balance("A-1") == (15, 0)


async def test_a_receipt_whose_stock_goes_to_backorders_raises_low_stock_when_it_leaves_the_item_low(world: World) -> None:
    # A-1 (reorder point 20): 50 on order, 40 already promised. Once the 50 arrive and 40 are
    # reserved, only 10 are projected: the buyer must hear about it.
    await world.confirmed_so((("A-1", 40),))
    po = await world.approved_po((("A-1", 50, "1"),))

    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po))

    assert (await world.position("A-1")).projected == 10
    crossings = await outbox_payloads(world, "StockFellBelowReorderPoint")
    assert [Decimal(p["projected"]) for p in crossings] == [10]


async def test_returning_goods_of_an_open_po_does_not_repeat_the_low_stock_event(world: World) -> None:
    # The return takes 5 out of stock but the PO now expects 5 more: projected is unchanged.
    po = await world.approved_po((("A-1", 100, "1"),))
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po, lines=(("A-1", q(90)),)))
    await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=q(-85), reason="flood"))
    after_flood = await outbox_payloads(world, "StockFellBelowReorderPoint")

    await world.do(c.ReturnToSupplier(actor_id=WAREHOUSE, po=po, lines=(("A-1", q(5)),), reason="damaged"))

    assert (await world.position("A-1")).projected == 15
    assert len(after_flood) == 1
    assert await outbox_payloads(world, "StockFellBelowReorderPoint") == after_flood


async def test_returning_goods_of_a_closed_po_that_leaves_the_item_low_raises_the_event(world: World) -> None:
    po = await world.approved_po((("A-1", 30, "1"),))
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po))
    await world.do(c.ClosePurchaseOrder(actor_id=BUYER, po=po))

    await world.do(c.ReturnToSupplier(actor_id=WAREHOUSE, po=po, lines=(("A-1", q(12)),), reason="damaged"))

    crossings = await outbox_payloads(world, "StockFellBelowReorderPoint")
    assert [Decimal(p["projected"]) for p in crossings] == [18]
