"""Use cases against in-memory fakes: what each one loads, decides, saves and announces."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import commands as c
from domain.errors import InsufficientStock, PermissionDenied
from domain.services.bus import Bus
from tests.service.fakes import Store
from tests.support import BUYER, MANAGER, SALES, WAREHOUSE

D = Decimal


def names(store: Store) -> list[str]:
    return [e.name for e in store.events]


async def test_a_po_in_a_one_approval_tier_waits_for_a_manager_then_is_approved(bus: Bus, store: Store) -> None:
    po = await bus.handle(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", D(100), D(20)),)))

    await bus.handle(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))
    approved = await bus.handle(c.ApprovePurchaseOrder(actor_id=MANAGER, po=po.number))

    assert approved.status == "approved"
    assert names(store) == ["PurchaseOrderCreated", "PurchaseOrderSubmitted", "PurchaseOrderApproved"]


async def test_a_failed_use_case_commits_nothing(bus: Bus, store: Store) -> None:
    commits = store.commits

    with pytest.raises(PermissionDenied):
        await bus.handle(c.CreatePurchaseOrder(actor_id=SALES, supplier="ACME", lines=(("A-1", D(1), None),)))

    assert store.commits == commits and store.pos == {} and store.events == []


async def test_confirming_with_a_shortfall_reserves_what_there_is_and_suggests_a_purchase(bus: Bus, store: Store) -> None:
    await bus.handle(c.AdjustStock(actor_id=WAREHOUSE, sku="B-2", delta=D(4), reason="count"))
    so = await bus.handle(c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=(("B-2", D(10), D(3)),)))

    so = await bus.handle(c.ConfirmSalesOrder(actor_id=SALES, so=so.number))

    assert (so.lines[0].reserved_qty, so.lines[0].backorder) == (D(4), D(6))
    suggestion = next(e for e in store.events if e.name == "PurchaseSuggested")
    assert Decimal(suggestion.payload()["qty"]) == 6 and suggestion.payload()["supplier"] == "ACME"


async def test_a_receipt_serves_the_waiting_backorder_and_tells_sales(bus: Bus, store: Store) -> None:
    so = await bus.handle(c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=(("B-2", D(10), D(3)),)))
    await bus.handle(c.ConfirmSalesOrder(actor_id=SALES, so=so.number))
    po = await bus.handle(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("B-2", D(30), D(1)),)))
    await bus.handle(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))

    await bus.handle(c.ReceiveGoods(actor_id=WAREHOUSE, po=po.number))

    assert store.balances[(2, 1)].on_hand == D(30) and store.balances[(2, 1)].reserved == D(10)
    assert "BackorderReserved" in names(store)


async def test_an_adjustment_cannot_take_reserved_stock(bus: Bus, store: Store) -> None:
    await bus.handle(c.AdjustStock(actor_id=WAREHOUSE, sku="B-2", delta=D(5), reason="count"))
    so = await bus.handle(c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=(("B-2", D(5), D(3)),)))
    await bus.handle(c.ConfirmSalesOrder(actor_id=SALES, so=so.number))

    with pytest.raises(InsufficientStock) as err:
        await bus.handle(c.AdjustStock(actor_id=WAREHOUSE, sku="B-2", delta=D(-1), reason="broken"))

    assert err.value.shortages[0].available == D(0)
    assert store.balances[(2, 1)].on_hand == D(5)


async def test_every_lowering_change_that_leaves_the_item_low_raises_the_low_stock_event(bus: Bus, store: Store) -> None:
    # Whether it is news is decided at commit by the item's episode (storage.episodes), not here.
    await bus.handle(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=D(30), reason="count"))

    await bus.handle(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=D(-5), reason="damaged"))
    await bus.handle(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=D(-15), reason="damaged"))
    await bus.handle(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=D(-5), reason="damaged"))
    await bus.handle(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=D(2), reason="found"))

    low = [e for e in store.events if e.name == "StockFellBelowReorderPoint"]
    assert [e.payload()["projected"] for e in low] == ["10.000", "5.000"]


async def test_a_suggestion_goes_onto_the_suppliers_existing_draft(bus: Bus, store: Store) -> None:
    first = await bus.handle(c.AddSuggestionToDraft(actor_id=BUYER, sku="A-1"))

    second = await bus.handle(c.AddSuggestionToDraft(actor_id=BUYER, sku="B-2", qty=D(12)))

    assert first.number == second.number and len(store.pos) == 1
    assert [(ln.sku, ln.qty) for ln in second.lines] == [("A-1", D(50)), ("B-2", D(12))]
