"""Routing (ADR 0008 stage 2): each alert reaches the chats bound to its kind and the people it
concerns, in their language, once; a failure mid-routing adds nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from domain import commands as c
from domain import events as ev
from domain.alerts import ChatPlace, parse_kinds
from notifications.messages import OutMessage
from notifications.render import Renderer
from notifications.router import RouteDeps, route_pending
from storage.bindings import SqlAlertBindings
from storage.tables import alert_mutes, chat_targets, deliveries, outbox, users
from storage.uow import SqlUnitOfWork
from tests.support import ADMIN, BUYER, MANAGER, MANAGER2, SALES, WAREHOUSE, World, q

GROUP, TEAM = -100, -300  # a group in English; a forum whose topic 7 speaks Chinese
TOPIC = 7
Route = tuple[int, int, str]  # chat, topic, language


@dataclass
class Drawing:
    """The bot layer's part, faked: records what it was asked to draw."""

    cards: list[tuple[str, str, int | None, str]] = field(default_factory=list)
    fail: BaseException | None = None

    async def draw_card(self, kind: str, ref: str, viewer: int | None, lang: str) -> OutMessage:
        if self.fail is not None:
            raise self.fail
        self.cards.append((kind, ref, viewer, lang))
        buttons = {"inline_keyboard": [[{"text": "✅", "callback_data": f"po:ok:{ref}"}]]} if viewer else None
        return OutMessage(f"card {ref} for {viewer} in {lang}", markup=buttons, card=(kind, ref))

    async def compose_digests(self, day: date, langs: Sequence[str]) -> dict[str, list[OutMessage]]:
        return {lang: [OutMessage(f"digest {day} {lang}"), OutMessage("chart", photo=b"\x89PNG")] for lang in langs}

    def deps(self) -> RouteDeps:
        return RouteDeps(Renderer(ZoneInfo("Asia/Shanghai")), self.draw_card, self.compose_digests, language="zh")


async def bind(world: World, chat: int, kinds: list[str], lang: str, topic: int = 0) -> None:
    place = ChatPlace(chat, topic, "supergroup", "Team")
    named = [k.value for k in parse_kinds(kinds)[0]]
    await SqlAlertBindings(world.db).bind(place, named, ADMIN, lang, world.clock.now())


async def speaks_english(world: World, *people: int) -> None:
    async with SqlUnitOfWork(world.db) as uow:
        await uow.conn.execute(update(users).where(users.c.id.in_(people)).values(language="en"))
        await uow.commit()


async def routed(world: World, drawing: Drawing) -> dict[str, set[Route]]:
    """Route what is pending; the new deliveries by the event that caused them."""
    async with world.db.reading() as conn:
        seen = set((await conn.scalars(select(deliveries.c.id))).all())
    await route_pending(world.db, drawing.deps(), world.clock.now())
    out: dict[str, set[Route]] = defaultdict(set)
    async with world.db.reading() as conn:
        query = select(deliveries.c.id, deliveries.c.chat_id, deliveries.c.thread_id, deliveries.c.lang, outbox.c.kind).join(
            outbox, outbox.c.id == deliveries.c.outbox_id
        )
        for r in (await conn.execute(query)).all():
            if r.id not in seen:
                out[r.kind].add((r.chat_id, r.thread_id, r.lang))
    return dict(out)


async def record(world: World, *events: ev.Event) -> None:
    async with SqlUnitOfWork(world.db) as uow:
        uow.record(events)
        await uow.commit()


def stamp(world: World, ref: str) -> dict[str, Any]:
    return {"at": world.clock.now(), "actor_id": None, "source": "scheduler", "ref": ref}


async def test_each_alert_reaches_its_chats_and_people_in_their_language(world: World) -> None:
    await bind(world, GROUP, ["all"], "en")
    await bind(world, TEAM, ["low_stock"], "zh", topic=TOPIC)
    await speaks_english(world, BUYER, SALES)
    drawing = Drawing()
    approvers = {(ADMIN, 0, "zh"), (MANAGER, 0, "zh"), (MANAGER2, 0, "zh")}
    group = (GROUP, 0, "en")

    po = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(100), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))
    assert await routed(world, drawing) == {"PurchaseOrderSubmitted": {group} | approvers}
    assert sorted(drawing.cards, key=str) == sorted(
        [("p", po.number, None, "en"), *(("p", po.number, uid, "zh") for uid in (ADMIN, MANAGER, MANAGER2))], key=str
    )

    await world.do(c.ApprovePurchaseOrder(actor_id=MANAGER, po=po.number))
    assert await routed(world, drawing) == {"PurchaseOrderApproved": {group, (BUYER, 0, "en"), (WAREHOUSE, 0, "zh")}}

    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po.number, lines=(("A-1", q(50)),)))
    assert await routed(world, drawing) == {"GoodsReceived": {group, (BUYER, 0, "en")}}

    so = await world.confirmed_so((("A-1", 60),))  # 50 reserved, 10 wait for the rest of the PO
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=po.number))
    assert await routed(world, drawing) == {
        "GoodsReceived": {group, (BUYER, 0, "en")},
        "BackorderReserved": {group, (SALES, 0, "en")},
    }

    await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=so))
    await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=q(-30), reason="flood"))
    assert await routed(world, drawing) == {
        "SalesOrderShipped": {group, (SALES, 0, "en")},
        "StockFellBelowReorderPoint": {group, (TEAM, TOPIC, "zh"), (BUYER, 0, "en")},
    }

    big = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("B-2", q(1000), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=big.number))
    await world.do(c.ApprovePurchaseOrder(actor_id=MANAGER, po=big.number))  # one of two
    await routed(world, drawing)
    today = date(2026, 11, 23)
    await record(
        world,
        ev.PurchaseOrderOverdue(
            **stamp(world, po.number), day=today, supplier="ACME", expected=today, days_late=4, created_by=BUYER, escalate=True
        ),
        ev.SalesOrderOverdue(
            **stamp(world, so), day=today, customer="SHOP", promised=today, days_late=1, created_by=SALES, escalate=False
        ),
        ev.ApprovalReminder(**stamp(world, big.number), slot="1", hours_waiting=25, created_by=BUYER, escalate=False),
        ev.DailyDigestDue(**stamp(world, today.isoformat()), day=today),
    )
    assert await routed(world, drawing) == {
        "PurchaseOrderOverdue": {group, (BUYER, 0, "en"), (MANAGER, 0, "zh"), (MANAGER2, 0, "zh")},
        "SalesOrderOverdue": {group, (SALES, 0, "en")},
        "ApprovalReminder": {group, (ADMIN, 0, "zh"), (MANAGER2, 0, "zh")},  # Mia approved already
        "DailyDigestDue": {group},
    }


async def test_escalated_alerts_also_reach_the_chat_bound_to_escalation(world: World) -> None:
    """The managers' group binds `escalation`: it hears of an order late for days (escalate=True)
    and not of one late for a day; the buyer hears of both."""
    await bind(world, TEAM, ["escalation"], "zh")
    po = await world.approved_po((("A-1", 10, "2"),))
    late = await world.approved_po((("B-2", 10, "2"),))
    today = date(2026, 11, 23)
    common = {"day": today, "supplier": "ACME", "expected": today, "created_by": BUYER}
    await record(
        world,
        ev.PurchaseOrderOverdue(**stamp(world, po), days_late=1, escalate=False, **common),
        ev.PurchaseOrderOverdue(**stamp(world, late), days_late=5, escalate=True, **common),
    )

    got = await routed(world, Drawing())

    async with world.db.reading() as conn:
        refs = dict((await conn.execute(select(outbox.c.id, outbox.c.payload))).all())
        to_team = {refs[r.outbox_id]["ref"] for r in (await conn.execute(select(deliveries))).all() if r.chat_id == TEAM}
    assert to_team == {late}
    assert (BUYER, 0, "zh") in got["PurchaseOrderOverdue"]


async def test_a_partial_approval_tells_only_the_buyer(world: World) -> None:
    await bind(world, GROUP, ["decision"], "en")
    po = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("B-2", q(1000), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))

    await world.do(c.ApprovePurchaseOrder(actor_id=MANAGER, po=po.number))

    assert (await routed(world, Drawing())).get("PurchaseOrderApprovalGiven") == {(BUYER, 0, "zh")}


async def test_texts_cards_and_digest_parts_are_stored_ready_to_send(world: World) -> None:
    await bind(world, GROUP, ["approval_request", "daily_digest", "decision"], "en")
    po = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(100), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))
    await world.do(c.RejectPurchaseOrder(actor_id=MANAGER, po=po.number, reason="too <dear>"))
    day = date(2026, 11, 23)
    await record(world, ev.DailyDigestDue(**stamp(world, day.isoformat()), day=day))

    await routed(world, Drawing())

    async with world.db.reading() as conn:
        rows = (await conn.execute(select(deliveries).order_by(deliveries.c.id))).all()
    to_manager = next(r for r in rows if r.chat_id == MANAGER)
    assert (to_manager.card_kind, to_manager.card_ref, to_manager.viewer_id) == ("p", po.number, MANAGER)
    assert to_manager.markup is not None and to_manager.status == "pending"
    rejected = next(r for r in rows if r.chat_id == BUYER)
    assert rejected.kind == "decision" and "Mia" in rejected.text and "too &lt;dear&gt;" in rejected.text
    digest = [(r.part, r.text, r.photo) for r in rows if r.kind == "daily_digest"]
    assert digest == [(0, f"digest {day} en", None), (1, "chart", b"\x89PNG")]


async def test_muted_people_and_chats_that_refuse_the_bot_get_nothing(world: World) -> None:
    await bind(world, GROUP, ["low_stock"], "en")
    await bind(world, TEAM, ["low_stock"], "zh", topic=TOPIC)
    async with SqlUnitOfWork(world.db) as uow:
        await uow.conn.execute(insert(alert_mutes).values(user_id=BUYER, kind="low_stock"))
        await uow.conn.execute(update(chat_targets).where(chat_targets.c.chat_id == GROUP).values(active=False))
        await uow.commit()
    await world.stock_in("A-1", 30)

    await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=q(-15), reason="flood"))

    assert await routed(world, Drawing()) == {"StockFellBelowReorderPoint": {(TEAM, TOPIC, "zh")}}


async def test_routing_twice_adds_nothing(world: World) -> None:
    await bind(world, GROUP, ["all"], "en")
    po = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(100), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))
    drawing = Drawing()
    first = await route_pending(world.db, drawing.deps(), world.clock.now())
    count = await world.count(deliveries)

    again = await route_pending(world.db, drawing.deps(), world.clock.now())

    assert (first, again) == (1, 0)
    assert await world.count(deliveries) == count == 4
    assert await world.count(outbox, outbox.c.status == "routed") == 1


class PowerCut(BaseException):
    """The process dying mid-routing: nothing after it runs."""


async def test_a_crash_mid_routing_leaves_the_row_pending_and_adds_nothing(world: World) -> None:
    """Catches a router that commits deliveries or the status before the whole row is routed."""
    await bind(world, GROUP, ["approval_request"], "en")
    po = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(100), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))

    with pytest.raises(PowerCut):
        await route_pending(world.db, Drawing(fail=PowerCut()).deps(), world.clock.now())

    assert await world.count(deliveries) == 0
    assert await world.count(outbox, outbox.c.status == "pending", outbox.c.attempts == 0) == 1


async def test_a_failing_row_is_retried_later_and_does_not_hold_back_the_others(world: World) -> None:
    await bind(world, GROUP, ["approval_request", "decision"], "en")
    po = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(100), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))
    await world.do(c.RejectPurchaseOrder(actor_id=MANAGER, po=po.number, reason="no"))
    now = world.clock.now()

    done = await route_pending(world.db, Drawing(fail=RuntimeError("card broke")).deps(), now)

    assert done == 1  # the rejection: it needs no card
    async with world.db.reading() as conn:
        failed = (await conn.execute(select(outbox).where(outbox.c.kind == "PurchaseOrderSubmitted"))).one()
    assert (failed.status, failed.attempts, failed.last_error) == ("pending", 1, "RuntimeError: card broke")
    assert await route_pending(world.db, Drawing().deps(), now) == 0  # not due yet
    assert await route_pending(world.db, Drawing().deps(), now + timedelta(minutes=2)) == 1
    assert await world.count(deliveries, deliveries.c.kind == "approval_request") == 4


async def test_a_row_that_always_fails_is_given_up(world: World) -> None:
    po = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(100), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))
    broken = replace(Drawing(fail=RuntimeError("card broke")).deps(), max_attempts=2)
    now: datetime = world.clock.now()

    for _ in range(broken.max_attempts):
        await route_pending(world.db, broken, now)
        now += timedelta(days=1)

    assert await world.count(outbox, outbox.c.status == "dead") == 1
    assert await world.count(deliveries) == 0


# --- no write transaction while drawing; a bad low-stock row alone ---------------------------


@dataclass
class Blocking(Drawing):
    """Drawing that writes to the outbox row being routed while it draws: a router that draws
    inside its write transaction (holding SQLite's write turn, or the row's lock on PostgreSQL)
    makes this wait forever."""

    world: World | None = None
    digests: list[tuple[date, tuple[str, ...]]] = field(default_factory=list)

    async def _write_meanwhile(self) -> None:
        assert self.world is not None
        async with asyncio.timeout(5), SqlUnitOfWork(self.world.db) as uow:
            await uow.conn.execute(update(outbox).where(outbox.c.status == "pending").values(sent_at=None))
            await uow.commit()

    async def draw_card(self, kind: str, ref: str, viewer: int | None, lang: str) -> OutMessage:
        await self._write_meanwhile()
        return await super().draw_card(kind, ref, viewer, lang)

    async def compose_digests(self, day: date, langs: Sequence[str]) -> dict[str, list[OutMessage]]:
        await self._write_meanwhile()
        self.digests.append((day, tuple(langs)))
        return await super().compose_digests(day, langs)


async def test_cards_and_the_digest_are_drawn_with_no_write_transaction_open_and_the_digest_once(world: World) -> None:
    """Catches a router that draws (a digest: a second's read and a chart) while holding the
    write lock every chat write waits for, or that reads the digest once per language."""
    await bind(world, GROUP, ["approval_request", "daily_digest"], "en")
    await bind(world, TEAM, ["daily_digest"], "zh", topic=TOPIC)
    po = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(100), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))
    day = date(2026, 11, 23)
    await record(world, ev.DailyDigestDue(**stamp(world, day.isoformat()), day=day))
    drawing = Blocking(world=world)

    assert await routed(world, drawing) == {
        "PurchaseOrderSubmitted": {(GROUP, 0, "en"), (ADMIN, 0, "zh"), (MANAGER, 0, "zh"), (MANAGER2, 0, "zh")},
        "DailyDigestDue": {(GROUP, 0, "en"), (TEAM, TOPIC, "zh")},
    }
    assert drawing.digests == [(day, ("en", "zh"))]
    assert await world.count(outbox, outbox.c.status == "routed") == 2


async def test_a_row_another_router_routed_while_this_one_drew_is_not_routed_again(world: World) -> None:
    await bind(world, GROUP, ["approval_request"], "en")
    po = await world.do(c.CreatePurchaseOrder(actor_id=BUYER, supplier="ACME", lines=(("A-1", q(100), q(20)),)))
    await world.do(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number))

    class Racing(Drawing):
        async def draw_card(self, kind: str, ref: str, viewer: int | None, lang: str) -> OutMessage:
            async with SqlUnitOfWork(world.db) as uow:  # the other router commits first
                await uow.conn.execute(update(outbox).values(status="routed"))
                await uow.commit()
            return await super().draw_card(kind, ref, viewer, lang)

    assert await route_pending(world.db, Racing().deps(), world.clock.now()) == 0
    assert await world.count(deliveries) == 0
    assert await world.count(outbox, outbox.c.status == "routed", outbox.c.attempts == 0) == 1


async def test_one_bad_low_stock_row_is_set_aside_and_the_rest_of_its_batch_still_goes_as_one_list(world: World) -> None:
    """Catches failing (and retrying, and finally dropping) a whole low-stock batch for one row
    that cannot be rendered, and a fallback that sends the rest one message per item."""
    await bind(world, GROUP, ["low_stock"], "en")
    await world.stock_in("A-1", 30)
    await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="A-1", delta=q(-15), reason="flood"))
    async with world.db.reading() as conn:
        good = (await conn.execute(select(outbox).where(outbox.c.kind == "StockFellBelowReorderPoint"))).one()
    now = world.clock.now()
    row = {"kind": good.kind, "created_at": now, "status": "pending", "attempts": 0, "next_attempt_at": now}
    async with SqlUnitOfWork(world.db) as uow:
        await uow.conn.execute(insert(outbox).values(**row, dedup_key="low_stock:bad", payload={"item_id": 99}))
        twin = {**good.payload, "ref": "Z-9", "item_name": "Twin"}
        await uow.conn.execute(insert(outbox).values(**row, dedup_key="low_stock:twin", payload=twin))
        await uow.commit()
    broken = replace(Drawing().deps(), max_attempts=2)

    await route_pending(world.db, broken, now)

    async with world.db.reading() as conn:
        texts = (await conn.scalars(select(deliveries.c.text).where(deliveries.c.chat_id == GROUP))).all()
        bad = (await conn.execute(select(outbox).where(outbox.c.dedup_key == "low_stock:bad"))).one()
    [text] = texts  # A-1 and its twin in one list
    assert "A-1" in text and "Z-9" in text
    assert (bad.status, bad.attempts) == ("pending", 1) and "KeyError" in bad.last_error
    assert await route_pending(world.db, broken, now + timedelta(days=1)) == 0
    low = outbox.c.kind == "StockFellBelowReorderPoint"
    assert await world.count(outbox, low, outbox.c.status == "dead") == 1
    assert await world.count(outbox, low, outbox.c.status == "routed") == 2
