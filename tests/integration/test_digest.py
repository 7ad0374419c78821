"""The daily digest on a seeded company, on SQLite and PostgreSQL: every figure is recomputed
here in plain Python from the rows read back (not with the digest's SQL), then the rendering."""

from __future__ import annotations

import statistics
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import notifications.digest as digest_module
from domain import commands as c
from notifications.buttons import draft_po_sku
from notifications.charts import render_chart
from notifications.digest import compose_digest, compose_digests, duration, read_digest
from notifications.render import visible_length
from storage.database import Database
from storage.digest import load_digest
from storage.tables import (
    customers,
    items,
    po_decisions,
    po_lines,
    purchase_orders,
    sales_orders,
    so_lines,
    stock_balances,
    stock_moves,
    suppliers,
)
from tests.chat.harness import check_html
from tests.support import ADMIN, BUYER, MANAGER, MANAGER2, SALES, WAREHOUSE, World, q

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 local on the 23rd
DAY = date(2026, 11, 23)
WINDOW = timedelta(days=30)


def at(**ago: float) -> datetime:
    return NOW - timedelta(**ago)


async def _po(world: World, when: datetime, lines: tuple[tuple[str, int, str], ...], expected: date | None) -> str:
    world.clock.current = when
    po = await world.do(
        c.CreatePurchaseOrder(
            actor_id=BUYER, supplier="ACME", lines=tuple((s, q(n), q(p)) for s, n, p in lines), expected_date=expected
        )
    )
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))
    return str(po.number)


async def _decide(world: World, when: datetime, number: str, by: int) -> None:
    world.clock.current = when
    await world.do(c.ApprovePurchaseOrder(actor_id=by, po=number))


async def _receive(world: World, when: datetime, number: str, lines: tuple[tuple[str, int], ...] | None = None) -> None:
    world.clock.current = when
    specs = None if lines is None else tuple((s, q(n)) for s, n in lines)
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=specs))


async def _so(world: World, when: datetime, lines: tuple[tuple[str, int], ...], promised: date, *, confirm: bool = True) -> str:
    world.clock.current = when
    so = await world.do(
        c.CreateSalesOrder(
            actor_id=SALES, customer="SHOP", lines=tuple((s, q(n), q(10)) for s, n in lines), promised_date=promised
        )
    )
    if confirm:
        await world.do(c.ConfirmSalesOrder(actor_id=SALES, so=so.number))
    return str(so.number)


async def _ship(world: World, when: datetime, number: str, lines: tuple[tuple[str, int], ...]) -> None:
    world.clock.current = when
    await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=number, lines=tuple((s, q(n)) for s, n in lines)))


async def seed_company(world: World) -> None:
    """A month of purchasing and selling with something in every section of the digest."""
    world.clock.current = at(days=26)
    extras: list[tuple[str, str, int, dict[str, Any]]] = [
        ("D-4", "Gear 齿轮", 10, {"reorder_qty": q(30), "std_cost": q("2.5")}),
        ("E-5", "Eyelet <small>", 12, {"max_qty": q(40), "pack_size": q(6), "std_cost": q("1.2")}),
        ("F-6", "Fuse", 5, {"reorder_qty": q(10)}),
    ]
    for sku, name, rp, extra in extras:
        supplier = None if sku == "F-6" else "ACME"
        await world.do(c.CreateItem(actor_id=ADMIN, sku=sku, name=name, reorder_point=q(rp), default_supplier=supplier, **extra))
    for sku, n in [("A-1", 100), ("B-2", 50), ("C-3", 10), ("E-5", 8), ("F-6", 3)]:
        await world.stock_in(sku, n)

    await _po(world, at(days=25), (("A-1", 30, "2"),), None)  # under 1,000: approved automatically
    po2 = await _po(world, at(days=20), (("B-2", 600, "2"),), (NOW - timedelta(days=10)).date())
    await _decide(world, at(days=18), po2, MANAGER)
    await _receive(world, at(days=12), po2)  # in full, before it was due: on time
    po3 = await _po(world, at(days=15), (("C-3", 500, "3"),), (NOW - timedelta(days=5)).date())
    await _decide(world, at(days=14, hours=2), po3, MANAGER)
    await _receive(world, at(days=3), po3, (("C-3", 100),))  # late and partial: overdue
    await _receive(world, datetime(2026, 11, 22, 15, 59, tzinfo=UTC), po3, (("C-3", 50),))  # 23:59 local yesterday
    po4 = await _po(world, at(days=6), (("A-1", 100, "120"),), (NOW + timedelta(days=3)).date())  # two approvals
    await _decide(world, at(days=5), po4, MANAGER)
    await _decide(world, at(days=4, hours=1), po4, MANAGER2)
    await _receive(world, datetime(2026, 11, 22, 16, 0, tzinfo=UTC), po4, (("A-1", 5),))  # 00:00 local: today
    await _receive(world, at(hours=1), po4, (("A-1", 40),))
    await _po(world, at(hours=2), (("E-5", 300, "5"),), None)  # pending < 1 day
    po6 = await _po(world, at(days=4), (("D-4", 3000, "4"),), None)  # pending 3–7 days, one of two approvals
    await _decide(world, at(days=3), po6, MANAGER)
    await _po(world, at(days=10), (("B-2", 400, "3"),), None)  # pending 7 days and more

    so1 = await _so(world, at(days=8), (("A-1", 10),), (NOW - timedelta(days=5)).date())
    await _ship(world, at(days=6), so1, (("A-1", 10),))
    so2 = await _so(world, at(days=7), (("B-2", 20),), (NOW - timedelta(days=2)).date())
    await _ship(world, at(days=3), so2, (("B-2", 5),))  # partly: overdue
    so3 = await _so(world, at(days=1), (("C-3", 40),), (NOW + timedelta(days=5)).date())
    await _ship(world, at(minutes=30), so3, (("C-3", 2),))  # today
    await _so(world, at(days=1), (("B-2", 1),), NOW.date(), confirm=False)  # a draft
    so5 = await _so(world, at(days=4), (("A-1", 5),), (NOW - timedelta(days=1)).date())
    world.clock.current = at(days=3)
    await world.do(c.CancelSalesOrder(actor_id=SALES, so=so5))
    so6 = await _so(world, at(days=3), (("E-5", 2),), (NOW - timedelta(days=1)).date())
    await _ship(world, at(days=2), so6, (("E-5", 2),))
    world.clock.current = NOW


# --- the independent recomputation --------------------------------------------------------


async def _rows(world: World) -> dict[str, list[Any]]:
    tables = [
        items,
        stock_balances,
        stock_moves,
        purchase_orders,
        po_lines,
        po_decisions,
        sales_orders,
        so_lines,
        suppliers,
        customers,
    ]
    async with world.db.reading() as conn:
        return {t.name: list((await conn.execute(select(t))).all()) for t in tables}


def _local(when: datetime) -> date:
    return when.astimezone(TZ).date()


def _round(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def expected_figures(rows: dict[str, list[Any]]) -> dict[str, Any]:
    item_by_id = {i.id: i for i in rows["items"]}
    po_by_id = {p.id: p for p in rows["purchase_orders"]}
    so_by_id = {s.id: s for s in rows["sales_orders"]}
    po_lines_of: dict[int, list[Any]] = {}
    for ln in rows["po_lines"]:
        po_lines_of.setdefault(ln.po_id, []).append(ln)
    so_lines_of: dict[int, list[Any]] = {}
    for ln in rows["so_lines"]:
        so_lines_of.setdefault(ln.so_id, []).append(ln)
    out: dict[str, Any] = {}

    for kind in ("receipt", "shipment"):
        today = [m for m in rows["stock_moves"] if m.kind == kind and _local(m.at) == DAY]
        refs = {m.ref for m in today}
        out[kind] = (len(refs), len(today), sum((abs(m.qty) for m in today), Decimal(0)))
        out[kind + "_refs"] = refs

    pending = [p for p in rows["purchase_orders"] if p.status == "pending_approval"]
    out["pending"] = len(pending)
    buckets = [0, 0, 0, 0]
    for p in pending:
        age = NOW - p.submitted_at
        buckets[0 if age < timedelta(days=1) else 1 if age < timedelta(days=3) else 2 if age < timedelta(days=7) else 3] += 1
    out["ages"] = tuple(buckets)
    out["pending_rows"] = [
        (
            p.number,
            sum((_round(ln.qty * ln.unit_price) for ln in po_lines_of[p.id]), Decimal(0)),
            sum(1 for d in rows["po_decisions"] if d.po_id == p.id and d.round == p.approval_round and d.approve),
            p.approvals_needed,
        )
        for p in sorted(pending, key=lambda p: p.submitted_at)
    ]

    def overdue(orders: list[Any], lines_of: dict[int, list[Any]], states: set[str], due: str, done: str) -> list[str]:
        return sorted(
            o.number
            for o in orders
            if o.status in states
            and getattr(o, due) is not None
            and getattr(o, due) < DAY
            and any(ln.qty > getattr(ln, done) for ln in lines_of.get(o.id, []))
        )

    out["overdue_in"] = overdue(
        rows["purchase_orders"], po_lines_of, {"approved", "partially_received"}, "expected_date", "received_qty"
    )
    out["overdue_out"] = overdue(
        rows["sales_orders"], so_lines_of, {"confirmed", "partially_shipped"}, "promised_date", "shipped_qty"
    )
    out["open_pos"] = sum(p.status in ("approved", "partially_received") for p in rows["purchase_orders"])
    out["open_sos"] = sum(s.status in ("confirmed", "partially_shipped") for s in rows["sales_orders"])
    out["draft_sos"] = sum(s.status == "draft" for s in rows["sales_orders"])

    on_hand: dict[int, Decimal] = {}
    available: dict[int, Decimal] = {}
    for b in rows["stock_balances"]:
        on_hand[b.item_id] = on_hand.get(b.item_id, Decimal(0)) + b.on_hand
        available[b.item_id] = available.get(b.item_id, Decimal(0)) + b.on_hand - b.reserved
    inbound: dict[int, Decimal] = {}
    for ln in rows["po_lines"]:
        if po_by_id[ln.po_id].status in ("approved", "partially_received") and ln.qty > ln.received_qty:
            inbound[ln.item_id] = inbound.get(ln.item_id, Decimal(0)) + ln.qty - ln.received_qty
    shipped: dict[int, Decimal] = {}
    for m in rows["stock_moves"]:
        if m.kind == "shipment" and NOW - WINDOW <= m.at < NOW:
            shipped[m.item_id] = shipped.get(m.item_id, Decimal(0)) - m.qty
    low = {}
    for i in rows["items"]:
        projected = available.get(i.id, Decimal(0)) + inbound.get(i.id, Decimal(0))
        if not (i.active and i.reorder_point > 0 and projected < i.reorder_point):
            continue
        wanted = i.max_qty - projected if i.max_qty else (i.reorder_qty or Decimal(0))
        need = max(wanted, i.reorder_point - projected)
        suggested = (need / i.pack_size).to_integral_value(rounding=ROUND_CEILING) * i.pack_size
        demand = shipped.get(i.id, Decimal(0))
        stock = available.get(i.id, Decimal(0))
        cover = Decimal(0) if stock <= 0 else None if demand == 0 else _round(stock * 30 / demand, "0.1")
        low[i.sku] = (available.get(i.id, Decimal(0)), projected, suggested, cover)
    out["low"] = low
    out["stock_outs"] = sum(1 for i in rows["items"] if i.active and i.reorder_point > 0 and available.get(i.id, Decimal(0)) == 0)
    value = Decimal(0)
    unvalued = set()
    for b in rows["stock_balances"]:
        i = item_by_id[b.item_id]
        cost = i.std_cost if i.std_cost is not None else i.last_cost
        if cost is None:
            if b.on_hand > 0:
                unvalued.add(i.id)
            continue
        value += b.on_hand * cost
    out["value"] = _round(value)
    out["unvalued"] = len(unvalued)

    approved = [
        p.approved_at - p.submitted_at
        for p in rows["purchase_orders"]
        if p.approved_at is not None and NOW - WINDOW <= p.approved_at < NOW and p.approvals_needed > 0
    ]
    out["submit_to_approve"] = (statistics.median(approved) if approved else None, len(approved))
    received = [
        p.first_receipt_at - p.approved_at
        for p in rows["purchase_orders"]
        if p.first_receipt_at is not None and p.approved_at is not None and NOW - WINDOW <= p.first_receipt_at < NOW
    ]
    out["approve_to_receipt"] = (statistics.median(received) if received else None, len(received))

    judged = hits = 0
    for p in rows["purchase_orders"]:
        if p.status not in ("approved", "partially_received", "received", "closed") or p.expected_date is None:
            continue
        if not DAY - WINDOW <= p.expected_date < DAY:
            continue
        judged += 1
        complete = all(ln.received_qty >= ln.qty for ln in po_lines_of[p.id])
        receipts = [m.at for m in rows["stock_moves"] if m.ref == p.number and m.kind == "receipt"]
        hits += complete and bool(receipts) and _local(max(receipts)) <= p.expected_date
    out["on_time"] = (hits, judged)

    ordered = filled = Decimal(0)
    for ln in rows["so_lines"]:
        so = so_by_id[ln.so_id]
        if so.status in ("confirmed", "partially_shipped", "shipped") and DAY - WINDOW <= so.promised_date < DAY:
            ordered += ln.qty
            filled += ln.shipped_qty
    out["fill"] = (filled, ordered)
    return out


async def test_every_figure_of_the_digest_matches_a_recount_of_the_rows(world: World) -> None:
    await seed_company(world)
    expected = expected_figures(await _rows(world))

    digest = await read_digest(world.db, DAY, tz=TZ, currency="CNY", now=NOW)

    k = digest.kpis
    assert (digest.receipt_totals.documents, digest.receipt_totals.lines, digest.receipt_totals.qty) == expected["receipt"]
    assert {m.ref for m in digest.receipts.rows} == expected["receipt_refs"]
    assert (digest.shipment_totals.documents, digest.shipment_totals.lines, digest.shipment_totals.qty) == expected["shipment"]
    assert {m.ref for m in digest.shipments.rows} == expected["shipment_refs"]
    assert digest.approvals.total == k.pos.pending == expected["pending"]
    assert digest.approval_ages == expected["ages"]
    got = [(a.number, a.total, a.approvals, a.approvals_needed) for a in digest.approvals.rows]
    assert got == expected["pending_rows"]
    assert sorted(o.number for o in digest.overdue_in.rows) == expected["overdue_in"]
    assert digest.overdue_in.total == k.pos.overdue == len(expected["overdue_in"])
    assert sorted(o.number for o in digest.overdue_out.rows) == expected["overdue_out"]
    assert digest.overdue_out.total == k.sos.overdue == len(expected["overdue_out"])
    assert (k.pos.open, k.sos.open, k.sos.pending) == (expected["open_pos"], expected["open_sos"], expected["draft_sos"])
    got_low = {i.sku: (i.available, i.projected, i.suggested_qty, i.days_of_cover) for i in digest.low_stock.rows}
    assert got_low == expected["low"] and digest.low_stock.total == len(expected["low"])
    assert k.stock_outs == expected["stock_outs"]
    assert (k.inventory_value, k.unvalued_items) == (expected["value"], expected["unvalued"])
    assert (k.submit_to_approve.median, k.submit_to_approve.count) == expected["submit_to_approve"]
    assert (k.approve_to_receipt.median, k.approve_to_receipt.count) == expected["approve_to_receipt"]
    assert (k.on_time.part, k.on_time.whole) == expected["on_time"]
    assert (k.fill.part, k.fill.whole) == expected["fill"]
    # The scenario reaches every rule (so the checks above compare something).
    assert expected["receipt"][0] == 1 and expected["shipment"][0] == 1  # 23:59 yesterday is not today
    assert expected["ages"] == (1, 0, 1, 1) and expected["pending_rows"][1][2] == 1
    assert expected["on_time"] == (1, 3) and expected["stock_outs"] == 1 and expected["unvalued"] >= 1
    assert set(expected["low"]) == {"D-4", "E-5", "F-6"} and expected["low"]["E-5"][3] == Decimal("90.0")
    assert expected["submit_to_approve"][1] == 3 and expected["fill"][1] > expected["fill"][0] > 0


async def test_the_rendered_digest_shows_the_figures_in_both_languages(world: World) -> None:
    await seed_company(world)
    digest = await read_digest(world.db, DAY, tz=TZ, currency="CNY", now=NOW)

    for lang in ("en", "zh"):
        messages = await compose_digest(world.db, DAY, lang, tz=TZ, currency="CNY", now=NOW, company="Acme & Co")

        *texts, photo = messages
        body = "\n".join(m.text for m in texts)
        for m in texts:
            check_html(m.text)
            assert 0 < visible_length(m.text) <= 4096 and m.photo is None
        check_html(photo.text)
        assert photo.photo is not None and photo.photo.startswith(b"\x89PNG\r\n\x1a\n") and visible_length(photo.text) <= 1024
        assert "Acme &amp; Co" in body and "Eyelet &lt;small&gt;" in body
        assert f"{digest.kpis.inventory_value:,} CNY" in body
        assert duration(lang, digest.kpis.submit_to_approve.median) in body
        assert duration(lang, digest.approvals.rows[0].age(NOW)) in body
        assert ("33.3 %" if lang == "en" else "33.3%") in body  # on time: 1 of 3 (PO1 is late by its default date)
        for number in [*(a.number for a in digest.approvals.rows), *(o.number for o in digest.overdue_in.rows)]:
            assert number in body
        assert ("Received today" if lang == "en" else "今日收货") in body
        [with_buttons] = [m for m in texts if m.markup is not None]
        buttons = [b for row in with_buttons.markup["inline_keyboard"] for b in row]  # type: ignore[index]
        assert [draft_po_sku(b["callback_data"]) for b in buttons] == ["D-4", "E-5"]  # F-6 has no supplier
        assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
        assert ("Below the reorder point" if lang == "en" else "低于再订货点") in with_buttons.text


async def test_an_empty_company_gets_a_short_line_per_section(db: Database) -> None:
    messages = await compose_digest(db, DAY, "en", tz=TZ, currency="CNY", now=NOW)

    [text, chart] = messages
    for line in [
        "No receipts today.",
        "No shipments today.",
        "Nothing waits for approval.",
        "No supplier is late.",
        "No customer order is late.",
        "Supplier on-time: — (0 of 0 POs due)",
        "Submit → approve: median — (0 POs)",
        "Every item is above its reorder point.",
        "Inventory value: 0.00 CNY",
    ]:
        assert line in text.text
    assert text.markup is None and chart.photo is not None


async def test_routing_s_digests_are_read_once_and_drawn_off_the_event_loop(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Catches drawing the chart (matplotlib, hundreds of milliseconds) on the event loop, where
    it stalls every chat, and reading the digest again for each language."""
    await seed_company(world)
    reads: list[date] = []
    drawn_in: list[threading.Thread] = []
    real_read, real_chart = load_digest, render_chart

    async def counted_read(*args: Any) -> Any:
        reads.append(args[1])
        return await real_read(*args)

    def spied_chart(*args: Any) -> bytes:
        drawn_in.append(threading.current_thread())
        return real_chart(*args)

    monkeypatch.setattr(digest_module, "load_digest", counted_read)
    monkeypatch.setattr(digest_module, "render_chart", spied_chart)

    both = await compose_digests(world.db, DAY, ["en", "zh", "en"], tz=TZ, currency="CNY", now=NOW, company="Acme")
    alone = await compose_digest(world.db, DAY, "zh", tz=TZ, currency="CNY", now=NOW, company="Acme")

    assert reads == [DAY, DAY]  # once for both languages, once for the one alone
    assert list(both) == ["en", "zh"] and [m.text for m in both["zh"]] == [m.text for m in alone]
    assert "Received today" in both["en"][0].text and "今日收货" in both["zh"][0].text
    assert len(drawn_in) == 3 and threading.main_thread() not in drawn_in
