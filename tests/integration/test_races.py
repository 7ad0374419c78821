"""Races from RELIABILITY.md (T1-T4, T10, numbering), run on SQLite and PostgreSQL.

Every scenario races real transactions through the Bus, the way concurrent chat users would,
and then checks the books: stock sold, balances, the ledger (world.drift()), decision, audit and
outbox rows. The tests whose names start with "a_naive" swap in the implementation each guard
replaces (tests/integration/naive.py) and prove the same checks then catch a violation.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from domain import commands as c
from domain.errors import AlreadyDecided, InsufficientStock
from domain.services import bus as bus_module
from storage.checks import ledger_drift
from storage.database import Database
from storage.order_repos import SqlPurchaseOrders
from storage.stock import SqlStock
from storage.tables import (
    audit_log,
    items,
    outbox,
    po_decisions,
    purchase_orders,
    sales_orders,
    so_lines,
    stock_balances,
    stock_moves,
    warehouses,
)
from storage.uow import SqlUnitOfWork
from tests.integration.naive import (
    LineOrderStock,
    NaivePurchaseOrders,
    NaiveSequences,
    NaiveStock,
    deferred_writes,
    jitter,
)
from tests.support import ADMIN, BUYER, MANAGER, MANAGER2, SALES, WAREHOUSE, World, q

SOAK_SECONDS = float(os.environ.get("CAIXIAO_SOAK_SECONDS", "6"))
APPROVERS = tuple(range(2001, 2011))  # ten people allowed to approve: eight managers, two admins

sqlite_only = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


# --- helpers ----------------------------------------------------------------------------------


def unexpected(errors: list[BaseException], *allowed: type[BaseException]) -> list[str]:
    """The errors a user would see that are not one of the allowed, friendly domain answers."""
    return [f"{type(e).__name__}: {e}" for e in errors if not isinstance(e, allowed)]


def locked(errors: list[BaseException]) -> list[BaseException]:
    return [e for e in errors if "database is locked" in str(e)]


async def outcomes(*calls: Awaitable[Any], rng: random.Random | None = None) -> tuple[list[Any], list[BaseException]]:
    """Run the calls at once, started in a random order if given an rng; split what came back
    into results and errors."""
    done = await asyncio.gather(*(rng.sample(calls, len(calls)) if rng else calls), return_exceptions=True)
    return [r for r in done if not isinstance(r, BaseException)], [r for r in done if isinstance(r, BaseException)]


async def sell_one(world: World, sku: str) -> bool:
    """One sale as a clerk makes it: order 1, confirm without backorder, ship. False: refused."""
    so = await world.do(c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=((sku, q(1), q(10)),)))
    try:
        await world.do(c.ConfirmSalesOrder(actor_id=SALES, so=so.number, allow_backorder=False))
    except InsufficientStock:
        return False
    await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=so.number))
    return True


async def hot_item_race(world: World, sku: str, *, clerks: int = 20, sales: int = 10) -> tuple[int, int, list[BaseException]]:
    """`clerks` tasks each trying `sales` one-unit sales of the item: (sold, refused, other errors)."""

    async def clerk() -> tuple[int, int, list[BaseException]]:
        sold, refused = 0, 0
        errors: list[BaseException] = []
        for _ in range(sales):
            try:
                if await sell_one(world, sku):
                    sold += 1
                else:
                    refused += 1
            except Exception as exc:  # collected: the test shows every error a user would see
                errors.append(exc)
        return sold, refused, errors

    results = await asyncio.gather(*(clerk() for _ in range(clerks)))
    return sum(r[0] for r in results), sum(r[1] for r in results), [e for r in results for e in r[2]]


async def shipped_total(world: World, sku: str) -> Decimal:
    async with world.db.reading() as conn:
        item_id = await _item_id(conn, sku)
        m = stock_moves.c
        total = await conn.scalar(select(func.coalesce(func.sum(m.qty), 0)).where(m.item_id == item_id, m.kind == "shipment"))
        return -Decimal(total or 0)


async def _item_id(conn: Any, sku: str) -> int:
    return int(await conn.scalar(select(items.c.id).where(items.c.sku == sku)))


async def new_item(world: World, sku: str) -> None:
    await world.do(c.CreateItem(actor_id=ADMIN, sku=sku, name=f"Item {sku}", default_supplier="ACME"))


async def register_approvers(world: World) -> None:
    for n, uid in enumerate(APPROVERS):
        role = "admin" if n >= 8 else "manager"
        await world.do(c.RegisterUser(actor_id=ADMIN, user_id=uid, name=f"Approver {n}", roles=(role,)))


async def pending_po(world: World) -> str:
    """A PO of 2,000 (the one-approval tier), submitted by the buyer and waiting for a decision."""
    po = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(100), q(20)),)))
    po = await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))
    assert po.status == "pending_approval" and po.approvals_needed == 1
    return str(po.number)


async def po_rows(world: World, number: str) -> dict[str, int]:
    """What one PO left behind: approval decisions and audit rows by action."""
    async with world.db.reading() as conn:
        po_id = await conn.scalar(select(purchase_orders.c.id).where(purchase_orders.c.number == number))
        approvals = await conn.scalar(
            select(func.count()).select_from(po_decisions).where(po_decisions.c.po_id == po_id, po_decisions.c.approve.is_(True))
        )
        audit = (
            await conn.execute(
                select(audit_log.c.action, func.count()).where(audit_log.c.ref == number).group_by(audit_log.c.action)
            )
        ).all()
    return {"decisions": int(approvals or 0), **{a: int(n) for a, n in audit}}


async def outbox_count(world: World, kind: str) -> int:
    return await world.count(outbox, outbox.c.kind == kind)


# --- T1 ---------------------------------------------------------------------------------------


async def test_t1_twenty_clerks_selling_a_hot_item_sell_exactly_the_stock(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """T1: 20 tasks x 10 sales of A-1 with 100 in stock, a 0-2 ms pause between locking the
    balance and writing it. Catches the naive read-decide-write decrement (NaiveStock: a plain
    SELECT, then `SET on_hand = :new` with no guard), which oversells and loses updates, and on
    SQLite a deferred BEGIN without the write turn, which fails contended writers with
    "database is locked"."""
    await world.stock_in("A-1", 100)
    jitter(monkeypatch, SqlStock, "lock", random.Random(1))

    sold, refused, errors = await hot_item_race(world, "A-1")

    assert locked(errors) == []
    assert unexpected(errors) == []
    assert (sold, refused) == (100, 100)
    assert await shipped_total(world, "A-1") == 100
    assert await world.balance("A-1") == (q(0), q(0))
    assert await world.drift() == []


async def test_a_naive_stock_decrement_oversells_the_hot_item(
    world: World, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Teeth for T1: with NaiveStock (read, decide in Python, write back) and, on SQLite, a
    deferred BEGIN, the T1 checks must fail: oversold, drifted books, or users seeing errors other
    than "not enough stock" (on SQLite: "database is locked"). A smaller race (10 clerks x 4 sales
    of 20) is enough to show it; up to five rounds, stopping at the first violation."""
    violations: list[str] = []
    for round_no in range(5):
        sku = f"HOT-{round_no}"
        await new_item(world, sku)
        await world.stock_in(sku, 20)

        with monkeypatch.context() as m:
            m.setattr("storage.uow.SqlStock", NaiveStock)
            jitter(m, SqlStock, "lock", random.Random(round_no))
            async with deferred_writes(db):
                sold, _, errors = await hot_item_race(world, sku, clerks=10, sales=4)

        shipped = await shipped_total(world, sku)
        if sold > 20 or shipped > 20:
            violations.append(f"round {round_no}: oversold, {sold} sales / {shipped} shipped out of 20")
        if await world.drift():
            violations.append(f"round {round_no}: ledger and balances disagree: {await world.drift()}")
        if unexpected(errors, InsufficientStock):
            violations.append(f"round {round_no}: {len(errors)} errors, {len(locked(errors))} 'database is locked'")
        if violations:
            break

    print("\n".join(violations))
    assert violations, "the naive stock decrement went unnoticed"


# --- T2 ---------------------------------------------------------------------------------------


async def receive_or_sell(
    world: World, sku: str, pos: list[str], rng: random.Random, errors: list[BaseException]
) -> tuple[int, int]:
    """One random step of T2: receive 1-5 on an open PO, or sell and ship 1-5. Returns
    (received, shipped); a refused step is collected in `errors` and counts for nothing."""
    qty = rng.randint(1, 5)
    try:
        if rng.random() < 0.5:
            await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=rng.choice(pos), lines=((sku, q(qty)),)))
            return qty, 0
        so = await world.do(c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=((sku, q(qty), q(3)),)))
        await world.do(c.ConfirmSalesOrder(actor_id=SALES, so=so.number, allow_backorder=False))
        await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=so.number))
        return 0, qty
    except Exception as exc:  # collected and judged by the caller
        errors.append(exc)
        return 0, 0


async def test_t2_receipts_and_shipments_interleaved_at_random_keep_the_books(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T2: ten workers each receiving or selling B-2 ten times in random order. Catches a
    read-modify-write balance (NaiveStock), whose lost updates break final = initial + received -
    shipped and let a balance go below zero; a sampler reads balances throughout the race and
    the ledger is replayed to check no committed balance was ever negative."""
    await world.stock_in("B-2", 20)
    pos = [await world.approved_po((("B-2", 200, "1"),)) for _ in range(4)]
    jitter(monkeypatch, SqlStock, "lock", random.Random(2))
    received, shipped, racing = Decimal(0), Decimal(0), True
    errors: list[BaseException] = []
    samples: list[tuple[Decimal, Decimal]] = []

    async def worker(rng: random.Random) -> None:
        nonlocal received, shipped
        for _ in range(10):
            got, sent = await receive_or_sell(world, "B-2", pos, rng, errors)
            received, shipped = received + got, shipped + sent

    async def sampler() -> None:
        while racing:
            async with world.db.reading() as conn:
                samples.extend((r.on_hand, r.reserved) for r in await conn.execute(select(stock_balances)))
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(sampler())
    await asyncio.gather(*(worker(random.Random(w)) for w in range(10)))
    racing = False
    await watcher

    assert unexpected(errors, InsufficientStock) == []
    assert await world.balance("B-2") == (20 + received - shipped, q(0))
    assert await world.drift() == []
    assert samples and all(on_hand >= reserved >= 0 for on_hand, reserved in samples)
    async with world.db.reading() as conn:
        item_id = await _item_id(conn, "B-2")
        moves = (
            await conn.scalars(select(stock_moves.c.qty).where(stock_moves.c.item_id == item_id).order_by(stock_moves.c.id))
        ).all()
    running = Decimal(0)
    for qty in moves:
        running += qty
        assert running >= 0, "a committed balance went below zero"


async def test_a_naive_balance_update_loses_receipts_and_shipments(
    world: World, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Teeth for T2: with NaiveStock (read, decide, write back) and, on SQLite, a deferred BEGIN,
    interleaved receipts and sales lose updates (final != initial + received - shipped, or the
    ledger and balances disagree) or fail with "database is locked". Up to five rounds."""
    violations: list[str] = []
    for round_no in range(5):
        sku = f"MIX-{round_no}"
        await new_item(world, sku)
        await world.stock_in(sku, 20)
        pos = [await world.approved_po(((sku, 200, "1"),)) for _ in range(2)]
        errors: list[BaseException] = []
        with monkeypatch.context() as m:
            m.setattr("storage.uow.SqlStock", NaiveStock)
            jitter(m, SqlStock, "lock", random.Random(round_no))
            async with deferred_writes(db):
                steps = await asyncio.gather(
                    *(receive_or_sell(world, sku, pos, random.Random(100 * round_no + w), errors) for w in range(20))
                )
        expected = 20 + sum(got for got, _ in steps) - sum(sent for _, sent in steps)
        on_hand, _ = await world.balance(sku)
        if on_hand != expected:
            violations.append(f"round {round_no}: on hand {on_hand}, expected {expected}")
        if await world.drift():
            violations.append(f"round {round_no}: ledger and balances disagree")
        if unexpected(errors, InsufficientStock):
            violations.append(f"round {round_no}: {len(locked(errors))} 'database is locked' of {len(errors)} errors")
        if violations:
            break

    print("\n".join(violations))
    assert violations, "the naive balance update went unnoticed"


# --- T3 ---------------------------------------------------------------------------------------


def count_attempts(monkeypatch: pytest.MonkeyPatch, command: type[c.Command]) -> list[int]:
    """Count how often the Bus runs a use case: more runs than commands means retries."""
    calls = [0]
    original = bus_module.USE_CASES[command]

    async def counted(cmd: Any, uow: Any, env: Any) -> Any:
        calls[0] += 1
        return await original(cmd, uow, env)

    monkeypatch.setitem(bus_module.USE_CASES, command, counted)
    return calls


async def crossed_orders(world: World) -> tuple[list[Any], list[BaseException], tuple[str, str]]:
    """Create [A-1, B-2] and [B-2, A-1] and confirm both at once, backorders refused."""
    first = await world.do(c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=(("A-1", q(1), q(5)), ("B-2", q(1), q(5)))))
    second = await world.do(c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=(("B-2", q(1), q(5)), ("A-1", q(1), q(5)))))
    results, errors = await outcomes(
        world.do(c.ConfirmSalesOrder(actor_id=SALES, so=first.number, allow_backorder=False)),
        world.do(c.ConfirmSalesOrder(actor_id=SALES, so=second.number, allow_backorder=False)),
    )
    return results, errors, (first.number, second.number)


async def books(world: World, *orders: str) -> dict[str, Any]:
    """(on hand, reserved) of A-1 and B-2, and the quantity each order holds reserved."""
    b, ln, so = stock_balances.c, so_lines.c, sales_orders.c
    async with world.db.reading() as conn:
        balances = (
            await conn.execute(
                select(items.c.sku, b.on_hand, b.reserved)
                .join(items, items.c.id == b.item_id)
                .where(items.c.sku.in_(["A-1", "B-2"]))
            )
        ).all()
        held = (
            await conn.execute(
                select(so.number, func.sum(ln.reserved_qty))
                .join(so_lines, ln.so_id == so.id)
                .where(so.number.in_(orders))
                .group_by(so.number)
            )
        ).all()
    return {**{sku: (on_hand, reserved) for sku, on_hand, reserved in balances}, **{n: r for n, r in held}}


async def test_t3_crossed_multi_line_orders_are_all_or_nothing_without_deadlock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T3: [A, B] and [B, A] confirmed at once, 100 times, with stock for only one of them
    (A: 2, B: 1). Catches locking balances in line order (LineOrderStock: a deadlock on
    PostgreSQL, seen here as a retry) and a confirm that keeps the lines it could reserve
    (the loser must reserve nothing, not A without B)."""
    await world.stock_in("A-1", 2)
    await world.stock_in("B-2", 1)
    attempts = count_attempts(monkeypatch, c.ConfirmSalesOrder)
    jitter(monkeypatch, SqlStock, "lock", random.Random(3))

    for _ in range(100):
        results, errors, numbers = await crossed_orders(world)

        assert unexpected(errors, InsufficientStock) == []
        assert (len(results), len(errors)) == (1, 1)
        (winner,) = results
        loser = next(n for n in numbers if n != winner.number)
        assert await books(world, winner.number, loser) == {"A-1": (2, 1), "B-2": (1, 1), winner.number: 2, loser: 0}
        await world.do(c.CancelSalesOrder(actor_id=SALES, so=winner.number))

    assert attempts[0] == 200, "a confirm was retried: a deadlock or a version conflict"
    assert await world.drift() == []


async def test_a_line_order_lock_deadlocks_crossed_orders(world: World, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Teeth for T3 (PostgreSQL, where row locks can wait in a cycle): with LineOrderStock the
    crossed orders deadlock; the Bus turns the deadlock into a retry, which T3's attempt count
    catches."""
    if db.is_sqlite:
        pytest.skip("one writer at a time: SQLite cannot deadlock on row locks")
    await world.stock_in("A-1", 2)
    await world.stock_in("B-2", 1)
    attempts = count_attempts(monkeypatch, c.ConfirmSalesOrder)
    monkeypatch.setattr("storage.uow.SqlStock", LineOrderStock)

    for rounds in range(1, 6):
        results, errors, _ = await crossed_orders(world)
        for so in results:
            await world.do(c.CancelSalesOrder(actor_id=SALES, so=so.number))
        if attempts[0] > 2 * rounds or unexpected(errors, InsufficientStock):
            break

    print(f"{attempts[0]} confirm runs for {2 * rounds} confirms")
    assert attempts[0] > 2 * rounds or unexpected(errors, InsufficientStock)


# --- T4 ---------------------------------------------------------------------------------------


async def approval_rush(world: World, number: str) -> tuple[list[Any], list[BaseException]]:
    return await outcomes(*(world.do(c.ApprovePurchaseOrder(actor_id=uid, po=number)) for uid in APPROVERS))


async def test_t4_ten_approvals_at_once_make_one_transition(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """T4: ten approvers press "approve" on one PO at once, 20 POs. Catches the unconditional
    status update (NaivePurchaseOrders: no FOR UPDATE, no version check), under which several
    approvals land and each writes its decision, audit row and outbox alert."""
    await register_approvers(world)
    jitter(monkeypatch, SqlPurchaseOrders, "get", random.Random(4))

    for round_no in range(1, 21):
        number = await pending_po(world)

        results, errors = await approval_rush(world, number)

        assert unexpected(errors, AlreadyDecided) == []
        assert [po.status for po in results] == ["approved"]
        assert (await world.po(number)).status == "approved"
        rows = await po_rows(world, number)
        assert (rows["decisions"], rows.get("PurchaseOrderApproved")) == (1, 1)
        assert await outbox_count(world, "PurchaseOrderApproved") == round_no


async def test_a_naive_status_update_lets_several_approvals_through(
    world: World, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Teeth for T4: with NaivePurchaseOrders (and, on SQLite, a deferred BEGIN), the T4 checks
    must fail: several approvals, decisions, audit or outbox rows, or users told something other
    than "already decided" (on SQLite: "database is locked")."""
    await register_approvers(world)
    violations: list[str] = []
    for round_no in range(5):
        number = await pending_po(world)
        before = await outbox_count(world, "PurchaseOrderApproved")

        with monkeypatch.context() as m:
            m.setattr("storage.uow.SqlPurchaseOrders", NaivePurchaseOrders)
            jitter(m, SqlPurchaseOrders, "get", random.Random(round_no))
            async with deferred_writes(db):
                results, errors = await approval_rush(world, number)

        rows = await po_rows(world, number)
        alerts = await outbox_count(world, "PurchaseOrderApproved") - before
        if len(results) != 1 or rows["decisions"] != 1 or rows.get("PurchaseOrderApproved") != 1 or alerts != 1:
            violations.append(f"round {round_no}: {len(results)} approvals succeeded, rows {rows}, {alerts} alerts")
        if unexpected(errors, AlreadyDecided):
            violations.append(
                f"round {round_no}: users saw {unexpected(errors, AlreadyDecided)[:1]} ({len(locked(errors))} locked)"
            )
        if violations:
            break

    print("\n".join(violations))
    assert violations, "the unconditional status update went unnoticed"


async def test_t4_approve_racing_reject_has_exactly_one_winner(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """T4: approve and reject pressed at once, 20 times: one decides, the other is told "already
    decided". Catches the unconditional status update (NaivePurchaseOrders), where the later
    writer overwrites the earlier decision and both users are told they won."""
    rng = random.Random(5)
    jitter(monkeypatch, SqlPurchaseOrders, "get", rng)

    approved = 0
    for _ in range(20):
        number = await pending_po(world)

        results, errors = await outcomes(
            world.do(c.ApprovePurchaseOrder(actor_id=MANAGER, po=number)),
            world.do(c.RejectPurchaseOrder(actor_id=MANAGER2, po=number, reason="too dear")),
            rng=rng,
        )

        assert unexpected(errors, AlreadyDecided) == [] and len(results) == 1
        (winner,) = results
        assert (await world.po(number)).status == winner.status
        rows = await po_rows(world, number)
        assert rows.get("PurchaseOrderApproved", 0) + rows.get("PurchaseOrderRejected", 0) == 1
        approved += winner.status == "approved"

    print(f"approve won {approved} of 20 times")


async def test_t4_approve_racing_cancel_ends_as_one_serial_order(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """T4: approve and cancel pressed at once, 20 times. Cancel wins outright (the approval is
    told "already decided"), or the approval commits first and the cancel then cancels an
    approved PO, which the business allows; either way the PO ends cancelled and the audit trail
    shows the order things happened in. Catches the unconditional status update
    (NaivePurchaseOrders), under which a stale approval overwrites the cancellation and a
    cancelled PO comes back approved."""
    rng = random.Random(6)
    jitter(monkeypatch, SqlPurchaseOrders, "get", rng)
    cancel_won = 0

    for _ in range(20):
        number = await pending_po(world)

        results, errors = await outcomes(
            world.do(c.ApprovePurchaseOrder(actor_id=MANAGER, po=number)),
            world.do(c.CancelPurchaseOrder(actor_id=BUYER, po=number, reason="not needed")),
            rng=rng,
        )

        assert unexpected(errors, AlreadyDecided) == []
        assert (await world.po(number)).status == "cancelled"
        async with world.db.reading() as conn:
            trail = (
                await conn.scalars(select(audit_log.c.action).where(audit_log.c.ref == number).order_by(audit_log.c.id))
            ).all()
        if errors:
            cancel_won += 1
            assert trail[-1:] == ["PurchaseOrderCancelled"] and "PurchaseOrderApproved" not in trail
            assert [po.status for po in results] == ["cancelled"]
        else:
            assert trail[-2:] == ["PurchaseOrderApproved", "PurchaseOrderCancelled"]
        assert (await po_rows(world, number))["decisions"] == (0 if errors else 1)

    print(f"cancel won outright {cancel_won} of 20 times")


# --- numbering --------------------------------------------------------------------------------


async def create_pos_at_once(world: World, count: int) -> tuple[list[Any], list[BaseException]]:
    return await outcomes(
        *(
            world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("C-3", q(n + 1), q(1)),)))
            for n in range(count)
        )
    )


async def test_fifty_pos_created_at_once_get_fifty_consecutive_numbers(world: World) -> None:
    """Fifty buyers create a PO at the same moment: PO-2026-00001 to PO-2026-00050, each once.
    Catches a counter read and then written back (NaiveSequences), which hands two POs the
    same number."""
    results, errors = await create_pos_at_once(world, 50)

    assert unexpected(errors) == []
    assert sorted(po.number for po in results) == [f"PO-2026-{n:05d}" for n in range(1, 51)]
    assert await world.count(purchase_orders) == 50


async def test_a_naive_counter_hands_out_a_number_twice(world: World, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Teeth for the numbering test: NaiveSequences (and on SQLite a deferred BEGIN) gives two
    POs the same number (a unique violation on PostgreSQL) or fails with "database is locked"."""
    monkeypatch.setattr("storage.uow.SqlSequences", NaiveSequences)

    async with deferred_writes(db):
        results, errors = await create_pos_at_once(world, 50)

    numbers = [po.number for po in results]
    print(f"{len(results)} created, {len(errors)} failed: {unexpected(errors)[:1]}")
    assert errors or len(set(numbers)) < 50 or sorted(numbers) != [f"PO-2026-{n:05d}" for n in range(1, 51)]


# --- T10 --------------------------------------------------------------------------------------


@sqlite_only
async def test_t10_sqlite_soak_writers_queue_and_readers_never_wait(world: World, db: Database) -> None:
    """T10: 20 writers selling and restocking, 20 readers, and one writer that holds the write
    lock for 200 ms at a time, for CAIXIAO_SOAK_SECONDS (default 6; RELIABILITY says 30). Catches
    a deferred BEGIN for writes (contended writers fail with "database is locked" at once),
    SQLite's busy handler as the only queue (it polls instead of queueing: over 30 s a starved
    writer outwaited the busy timeout, the reason for Database.write_turn), and a rollback
    journal instead of WAL (readers then wait for the long writer)."""
    for sku in ("A-1", "B-2", "C-3"):
        await world.stock_in(sku, 1000)
    async with db.reading() as conn:
        main = await conn.scalar(select(warehouses.c.id).where(warehouses.c.code == "MAIN"))
        key = (await _item_id(conn, "C-3"), int(main or 0))
    errors: list[BaseException] = []
    reads: list[tuple[float, float]] = []
    held: list[tuple[float, float]] = []
    drifted: list[Any] = []
    writes: list[float] = []  # how long each write took, as its user waited for it
    warm, started, racing, deadline = asyncio.Event(), asyncio.Event(), True, 0.0

    async def long_writer() -> None:
        nonlocal deadline
        await warm.wait()  # the readers have their connections open
        while not started.is_set() or time.monotonic() < deadline:
            async with SqlUnitOfWork(db) as uow:
                await uow.stock.lock([key])
                start = time.monotonic()
                if not started.is_set():  # the writers start queueing behind the first hold
                    deadline = start + SOAK_SECONDS
                    started.set()
                await asyncio.sleep(0.2)
                held.append((start, time.monotonic()))
                await uow.commit()
            await asyncio.sleep(0.05)

    async def writer(rng: random.Random) -> None:
        await started.wait()
        while time.monotonic() < deadline:
            sku, start = rng.choice(["A-1", "B-2", "C-3"]), time.monotonic()
            try:
                if rng.random() < 0.3:
                    await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku=sku, delta=q(1), reason="found one"))
                else:
                    await sell_one(world, sku)
                writes.append(time.monotonic() - start)
            except Exception as exc:  # collected and judged below
                errors.append(exc)

    async def reader(n: int) -> None:
        while racing:
            start = time.monotonic()
            try:
                async with db.reading() as conn:
                    if n % 4 == 0:  # a consistent snapshot: the books agree in every one
                        drifted.extend(await ledger_drift(conn))
                    else:
                        await conn.execute(select(stock_balances))
            except Exception as exc:  # collected and judged below
                errors.append(exc)
            reads.append((start, time.monotonic()))
            if len(reads) >= 20:
                warm.set()
            await asyncio.sleep(0.02)  # a view, a digest or a list every 20 ms, per reader

    async def writers() -> None:
        nonlocal racing
        await asyncio.gather(long_writer(), *(writer(random.Random(n)) for n in range(20)))
        racing = False

    await asyncio.gather(writers(), *(reader(n) for n in range(20)))

    assert locked(errors) == []
    assert unexpected(errors, InsufficientStock) == []
    assert drifted == []
    during = [sum(s <= done <= e for _, done in reads) for s, e in held]
    assert held and min(during) > 0, f"reads completed during each 200 ms hold: {during}"
    slowest = max(done - start for start, done in reads)
    print(
        f"{len(writes)} writes (slowest {max(writes):.2f} s), {len(reads)} reads (slowest {slowest * 1000:.0f} ms),"
        f" reads completed during each 200 ms hold: {during}"
    )
    assert await world.drift() == []
