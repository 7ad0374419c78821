"""A seeded random walk through the whole loop, then the books must still balance.

Thousands of purchase orders, receipts, returns, sales orders, shipments, cancellations and
adjustments, by the right and sometimes the wrong people, with quantities that sometimes cannot
fit. Expected domain errors are counted; anything else fails the test. At the end the ledger
agrees with every balance (the `caixiao check` logic), no balance is negative, and every order's
received and shipped quantities agree with its stock moves.

CAIXIAO_RANDOM_OPS (default 5000) sets the number of operations, CAIXIAO_RANDOM_SEED the seed.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, or_, select

from domain import commands as c
from domain.errors import DomainError
from storage.tables import po_lines, purchase_orders, sales_orders, so_lines, stock_balances, stock_moves
from tests.support import ADMIN, BUYER, MANAGER, MANAGER2, SALES, VIEWER, WAREHOUSE, World, q

OPS = int(os.environ.get("CAIXIAO_RANDOM_OPS", "5000"))
SEED = int(os.environ.get("CAIXIAO_RANDOM_SEED", "20261123"))
SKUS = ("A-1", "B-2", "C-3")
RECENT = 12  # operations pick among the most recent orders, where the action is

pytestmark = pytest.mark.slow

PO_OPEN = ("approved", "partially_received")
SO_OPEN = ("confirmed", "partially_shipped")


class Walk:
    """The random operations, and what succeeded or failed how."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self.pos: dict[str, Any] = {}  # number -> the PO as the last successful command returned it
        self.sos: dict[str, Any] = {}
        self.done: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()  # time spent per operation, to see what a slow run spends it on

    # --- choosing -----------------------------------------------------------------------------

    def qty(self, high: int = 30) -> Decimal:
        value = self.rng.randint(1, high)
        return q(value) if self.rng.random() < 0.85 else q(value) - q("0.25")  # now and then a fraction

    def pick(self, orders: dict[str, Any], statuses: tuple[str, ...]) -> Any | None:
        """Mostly an order in a fitting state; now and then any recent one (a stale button)."""
        recent = list(orders.values())[-RECENT:]
        fitting = [o for o in recent if o.status in statuses] or [o for o in orders.values() if o.status in statuses]
        if fitting and self.rng.random() < 0.9:
            return self.rng.choice(fitting)
        return self.rng.choice(recent) if recent else None

    def someone(self, right: tuple[int, ...], wrong: tuple[int, ...] = (VIEWER, SALES)) -> int:
        return self.rng.choice(wrong if self.rng.random() < 0.05 else right)

    # --- purchasing ---------------------------------------------------------------------------

    async def create_po(self) -> Any:
        skus = self.rng.sample(SKUS, self.rng.randint(1, 2))
        price = self.rng.choice(("0.5", "2.5", "9.99", "12", "150"))
        lines = tuple((sku, self.qty(80), q(price)) for sku in skus)
        return await self.world.do(c.CreatePurchaseOrder(actor_id=self.someone((BUYER, MANAGER)), supplier="ACME", lines=lines))

    async def submit_po(self) -> Any:
        po = self.pick(self.pos, ("draft",))
        return po and await self.world.do(c.SubmitPurchaseOrder(actor_id=self.someone((BUYER,)), po=po.number))

    async def approve_po(self) -> Any:
        po = self.pick(self.pos, ("pending_approval",))
        approver = self.someone((MANAGER, MANAGER2, ADMIN), wrong=(BUYER, SALES, po.created_by if po else BUYER))
        return po and await self.world.do(c.ApprovePurchaseOrder(actor_id=approver, po=po.number))

    async def reject_po(self) -> Any:
        po = self.pick(self.pos, ("pending_approval",))
        return po and await self.world.do(c.RejectPurchaseOrder(actor_id=self.someone((MANAGER2,)), po=po.number, reason="no"))

    async def revise_po(self) -> Any:
        po = self.pick(self.pos, ("rejected",))
        return po and await self.world.do(c.RevisePurchaseOrder(actor_id=BUYER, po=po.number))

    async def edit_po(self) -> Any:
        po = self.pick(self.pos, ("draft", *PO_OPEN))
        if po is None:
            return None
        line = self.rng.choice(po.lines)
        qty = line.received_qty + self.qty(20) if self.rng.random() < 0.9 else self.qty(5)  # sometimes below received
        return await self.world.do(c.EditPurchaseOrder(actor_id=BUYER, po=po.number, sku=line.sku, qty=qty))

    async def cancel_po(self) -> Any:
        po = self.pick(self.pos, ("draft", "pending_approval", "approved"))
        return po and await self.world.do(c.CancelPurchaseOrder(actor_id=BUYER, po=po.number, reason="changed plans"))

    async def close_po(self) -> Any:
        po = self.pick(self.pos, ("partially_received", "received"))
        return po and await self.world.do(c.ClosePurchaseOrder(actor_id=self.someone((BUYER, MANAGER)), po=po.number))

    async def receive(self) -> Any:
        po = self.pick(self.pos, PO_OPEN)
        if po is None:
            return None
        if self.rng.random() < 0.3:
            lines = None
        else:
            # Usually within what is open; sometimes more, which the 2 % tolerance may or may not allow.
            lines = tuple(
                (ln.sku, max(ln.open_qty, q(1)) if self.rng.random() < 0.3 else self.qty(int(ln.open_qty) + 3))
                for ln in self.rng.sample(po.lines, self.rng.randint(1, len(po.lines)))
            )
        return await self.world.do(c.ReceiveGoods(actor_id=self.someone((WAREHOUSE, MANAGER)), po=po.number, lines=lines))

    async def give_back(self) -> Any:
        po = self.pick(self.pos, ("partially_received", "received", "closed"))
        if po is None:
            return None
        line = self.rng.choice(po.lines)
        qty = self.qty(max(int(line.received_qty), 1))
        return await self.world.do(
            c.ReturnToSupplier(actor_id=WAREHOUSE, po=po.number, lines=((line.sku, qty),), reason="damaged")
        )

    async def suggest(self) -> Any:
        qty = self.qty(40) if self.rng.random() < 0.5 else None
        reason = self.rng.choice(("low_stock", "backorder"))
        return await self.world.do(c.AddSuggestionToDraft(actor_id=BUYER, sku=self.rng.choice(SKUS), qty=qty, reason=reason))

    # --- selling and stock --------------------------------------------------------------------

    async def create_so(self) -> Any:
        skus = self.rng.sample(SKUS, self.rng.randint(1, 3))
        lines = tuple((sku, self.qty(25), q(20)) for sku in skus)
        return await self.world.do(c.CreateSalesOrder(actor_id=self.someone((SALES, MANAGER)), customer="SHOP", lines=lines))

    async def confirm_so(self) -> Any:
        so = self.pick(self.sos, ("draft",))
        backorders = self.rng.random() < 0.8
        return so and await self.world.do(c.ConfirmSalesOrder(actor_id=SALES, so=so.number, allow_backorder=backorders))

    async def ship(self) -> Any:
        so = self.pick(self.sos, SO_OPEN)
        if so is None:
            return None
        lines = None
        if self.rng.random() < 0.5:
            lines = tuple((ln.sku, self.qty(max(int(ln.qty - ln.shipped_qty), 1))) for ln in so.lines)
        return await self.world.do(c.ShipSalesOrder(actor_id=self.someone((WAREHOUSE,)), so=so.number, lines=lines))

    async def cancel_so(self) -> Any:
        so = self.pick(self.sos, ("draft", *SO_OPEN))
        return so and await self.world.do(c.CancelSalesOrder(actor_id=SALES, so=so.number))

    async def adjust(self) -> Any:
        sku = self.rng.choice(SKUS)
        if self.rng.random() < 0.3:
            return await self.world.do(
                c.AdjustStock(actor_id=WAREHOUSE, sku=sku, counted=q(self.rng.randint(0, 40)), reason="count")
            )
        delta = self.qty(15) * self.rng.choice((1, -1))
        return await self.world.do(c.AdjustStock(actor_id=self.someone((WAREHOUSE,)), sku=sku, delta=delta, reason="fix"))

    # --- running ------------------------------------------------------------------------------

    def operations(self) -> list[tuple[Callable[[], Awaitable[Any]], int]]:
        return [
            (self.create_po, 7),
            (self.submit_po, 6),
            (self.approve_po, 8),
            (self.reject_po, 1),
            (self.revise_po, 1),
            (self.edit_po, 2),
            (self.cancel_po, 1),
            (self.close_po, 2),
            (self.receive, 10),
            (self.give_back, 3),
            (self.suggest, 2),
            (self.create_so, 8),
            (self.confirm_so, 8),
            (self.ship, 9),
            (self.cancel_so, 2),
            (self.adjust, 5),
        ]

    async def step(self, op: Callable[[], Awaitable[Any]]) -> None:
        name = op.__name__
        try:
            result = await op()
        except DomainError as exc:
            self.refused[f"{name}: {type(exc).__name__}"] += 1
            return
        if result is None:
            self.refused[f"{name}: nothing to act on"] += 1
            return
        self.done[name] += 1
        number = getattr(result, "number", None)
        if number is not None:
            (self.pos if number.startswith("PO-") else self.sos)[number] = result

    async def run(self, count: int) -> None:
        ops = self.operations()
        actions, weights = [op for op, _ in ops], [w for _, w in ops]
        for index in range(count):
            op = self.rng.choices(actions, weights)[0]
            self.world.clock.advance(minutes=self.rng.randint(0, 3))
            started = time.perf_counter()
            try:
                await self.step(op)
            except Exception as exc:  # not a domain error: a bug; say how to replay it
                raise AssertionError(f"op {index} ({op.__name__}) failed with seed {SEED}: {exc!r}") from exc
            self.seconds[op.__name__] += time.perf_counter() - started


# --- the books ------------------------------------------------------------------------------------


async def negative_balances(world: World) -> list[Any]:
    b = stock_balances.c
    async with world.db.reading() as conn:
        query = select(stock_balances).where(or_(b.on_hand < 0, b.reserved < 0, b.reserved > b.on_hand))
        return list((await conn.execute(query)).all())


async def order_quantities_disagreeing_with_moves(world: World) -> list[Any]:
    """(order, item, on the order, in the ledger) where received or shipped differs from the moves."""
    m = stock_moves.c
    out: list[Any] = []
    async with world.db.reading() as conn:
        moved = {
            (r.ref, r.item_id, r.kind): r.total
            for r in await conn.execute(
                select(m.ref, m.item_id, m.kind, func.sum(m.qty).label("total")).group_by(m.ref, m.item_id, m.kind)
            )
        }
        received = await conn.execute(
            select(purchase_orders.c.number, po_lines.c.item_id, po_lines.c.received_qty).join(
                purchase_orders, purchase_orders.c.id == po_lines.c.po_id
            )
        )
        for number, item_id, qty in received:
            ledger = moved.get((number, item_id, "receipt"), 0) + moved.get((number, item_id, "return"), 0)
            if qty != ledger:
                out.append((number, item_id, qty, ledger))
        shipped = await conn.execute(
            select(sales_orders.c.number, so_lines.c.item_id, so_lines.c.shipped_qty).join(
                sales_orders, sales_orders.c.id == so_lines.c.so_id
            )
        )
        for number, item_id, qty in shipped:
            ledger = -moved.get((number, item_id, "shipment"), 0)
            if qty != ledger:
                out.append((number, item_id, qty, ledger))
    return out


async def orders_whose_status_contradicts_their_lines(world: World) -> list[Any]:
    out: list[Any] = []
    async with world.db.reading() as conn:
        po_rows = await conn.execute(
            select(purchase_orders.c.number, purchase_orders.c.status, po_lines.c.qty, po_lines.c.received_qty).join(
                po_lines, po_lines.c.po_id == purchase_orders.c.id
            )
        )
        pos: dict[tuple[str, str], list[tuple[Decimal, Decimal]]] = {}
        for number, status, qty, received in po_rows:
            pos.setdefault((number, status), []).append((qty, received))
        for (number, status), lines in pos.items():
            anything, everything = any(r > 0 for _, r in lines), all(r >= qty for qty, r in lines)
            if (status == "approved" and anything) or (status == "received" and not everything):
                out.append((number, status, lines))
            if status == "partially_received" and (not anything or everything):
                out.append((number, status, lines))
        so_rows = await conn.execute(
            select(
                sales_orders.c.number, sales_orders.c.status, so_lines.c.qty, so_lines.c.shipped_qty, so_lines.c.reserved_qty
            ).join(so_lines, so_lines.c.so_id == sales_orders.c.id)
        )
        sos: dict[tuple[str, str], list[tuple[Decimal, Decimal, Decimal]]] = {}
        for number, status, qty, shipped, reserved in so_rows:
            sos.setdefault((number, status), []).append((qty, shipped, reserved))
        for (number, status), so_line_rows in sos.items():
            shipped_any = any(s > 0 for _, s, _ in so_line_rows)
            shipped_all = all(s == qty for qty, s, _ in so_line_rows)
            reserved_any = any(r > 0 for _, _, r in so_line_rows)
            if (
                (status in ("draft", "cancelled", "shipped") and reserved_any)
                or (status == "confirmed" and shipped_any)
                or (status == "shipped" and not shipped_all)
                or (status == "partially_shipped" and (not shipped_any or shipped_all))
            ):
                out.append((number, status, so_line_rows))
    return out


async def test_thousands_of_random_operations_leave_the_ledger_and_balances_in_agreement(world: World) -> None:
    lenient = world.with_tolerance("0.02")
    walk = Walk(lenient, random.Random(SEED))
    started = time.perf_counter()

    await walk.run(OPS)

    elapsed = time.perf_counter() - started
    summary = f"seed {SEED}, {OPS} ops in {elapsed:.1f}s; done {dict(walk.done)}; refused {dict(walk.refused)}"
    slowest = ", ".join(f"{name} {spent:.1f}s" for name, spent in walk.seconds.most_common(5))
    print(f"\n{world.db.url.split(':')[0]}: {summary}; slowest: {slowest}")
    assert await world.drift() == [], summary
    assert await negative_balances(world) == [], summary
    assert await order_quantities_disagreeing_with_moves(world) == [], summary
    assert await orders_whose_status_contradicts_their_lines(world) == [], summary
    assert sum(walk.done.values()) + sum(walk.refused.values()) == OPS
    if OPS >= 1000:  # the walk really walked: every kind of operation succeeded, goods moved often
        assert min(walk.done[op.__name__] for op, _ in walk.operations()) >= 1, summary
        assert min(walk.done["receive"], walk.done["ship"], walk.done["give_back"]) >= OPS // 100, summary
