"""Low-stock episodes: one alert per item per episode (SPEC §4, RELIABILITY T12, ADR 0008).

`alert_episodes` keeps one row per item, keyed `low_stock:<item id>`: the number of its latest
episode and whether that episode is open. An episode opens when a low-stock event is committed
for an item that is low and has no open episode, and closes when the item is no longer low
(projected stock at or above its reorder point, or the item inactive or without a reorder
point). The outbox dedup key of a low-stock alert is `low_stock:<item id>:<episode>`.

Every transaction takes its episode locks in one ordered step (`lock`), after its stock changes
and before it decides anything: first it inserts (if missing) the row of every item it may open
or close, in key order; then it locks all the rows it needs with one SELECT … FOR UPDATE per
slice, in key order; then it reads the stock and decides. Two such steps cannot deadlock on
PostgreSQL. An insert waits only for another transaction's uncommitted insert of the same key or
its update of the row; a lock waits only for a row another transaction locked (an uncommitted
insert is invisible to it). A transaction that updates holds all its locks and waits for
nothing more; one still inserting holds only rows it inserted, of smaller keys; both passes go
up the same key order: no wait can close a cycle. Inserting the rows of the items it raised,
too, makes a transaction wait for a lowering transaction's new episode instead of missing it.
The naive order did deadlock: the sweep locked the open episodes first and inserted new keys at
commit, while a sale inserted its new keys and then locked all of them (sweep holds :2, the
sale inserts :1 and waits for :2, the sweep inserts :1 and waits for the sale).

Deciding after the locks keeps it exact: whichever of two transactions touching an item locks
second reads the other's committed stock. A transaction that lowered an item opens an episode
only if the item is still low then (a raise committed meanwhile wins); one that raised it closes
an open episode once the item is no longer low. On SQLite the single writer (BEGIN IMMEDIATE)
serialises all of it, and the row locks compile to nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, String, and_, bindparam, cast, false, literal, select, true, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events import (
    Event,
    GoodsReceived,
    MasterDataChanged,
    PurchaseOrderApproved,
    PurchaseOrderChanged,
    PurchaseOrderRevised,
    SalesOrderCancelled,
    StockAdjusted,
    StockFellBelowReorderPoint,
)
from storage.chunks import KEYS_PER_QUERY, slices
from storage.statuses import OPEN_PO
from storage.stock import available, inbound_query, is_low
from storage.tables import alert_episodes, items, po_lines, purchase_orders
from storage.upsert import insert_ignore

PREFIX = "low_stock:"


def episode_key(item_id: int) -> str:
    return f"{PREFIX}{item_id}"


def _item_of(key: str) -> int:
    return int(key.removeprefix(PREFIX))


@dataclass(frozen=True, slots=True)
class Episode:
    """An item's episode row as locked: its latest episode number and whether it is open."""

    number: int
    open: bool


async def lock(
    conn: AsyncConnection, now: datetime, item_ids: Collection[int], *, every_open: bool = False
) -> dict[int, Episode]:
    """The one locking step of a transaction: insert the missing rows of `item_ids`, then lock
    those rows (and with `every_open`, the row of every episode open now) in key order.

    All inserts come before all locks, each pass in key order (see the module docstring); a
    transaction must not take episode locks outside this step, except again on rows it holds.
    Returns the locked rows by item id, as committed when their locks were granted.
    """
    keys = sorted({episode_key(i) for i in item_ids})
    for part in slices(keys):
        await conn.execute(
            insert_ignore(conn, alert_episodes, ["key"]),
            [{"key": k, "episode": 0, "open": False, "updated_at": now} for k in part],
        )
    if every_open:
        # Read without locks: an episode opened after this read belongs to an item some
        # transaction judged low under its lock; leaving it to the next sweep is right.
        keys = sorted(set(keys) | set((await conn.scalars(_OPEN_KEYS)).all()))
    locked: dict[int, Episode] = {}
    for part in slices(keys):
        for row in (await conn.execute(_LOCK_KEYS, {"keys": part})).all():
            locked[_item_of(row.key)] = Episode(row.episode, row.open)
    return locked


async def settle(conn: AsyncConnection, events: Sequence[Event], now: datetime) -> list[Event]:
    """What a committing transaction writes, with its low-stock events resolved to episodes.

    In one locking step over the items with low-stock events and those whose projected stock
    the transaction may have raised (`risen_items`), it closes the open episodes of those items
    that are not low now, and keeps for each item with low-stock events one (its last) when the
    item is still low and that opens a new episode, stamped with the episode number; none when
    its episode was already open (that episode was announced) or the item is no longer low.
    """
    last: dict[int, StockFellBelowReorderPoint] = {e.item_id: e for e in events if isinstance(e, StockFellBelowReorderPoint)}
    raised = _raised(events)
    if not last and raised is not None and not await _may_close(conn, raised):
        return list(events)
    risen = await _risen_ids(conn, raised)
    rows = await lock(conn, now, set(last) | (risen or set()), every_open=risen is None)
    low = await _low_now(conn, [i for i, row in rows.items() if row.open or i in last])
    await _close(conn, now, [i for i, row in rows.items() if row.open and i not in low])
    opening = sorted(i for i in last if i in low and not rows[i].open)
    await _open(conn, now, opening)
    opened = {i: rows[i].number + 1 for i in opening}
    out: list[Event] = []
    for e in events:
        if not isinstance(e, StockFellBelowReorderPoint):
            out.append(e)
        elif e is last[e.item_id] and e.item_id in opened:
            out.append(replace(e, episode=opened[e.item_id]))
    return out


async def _may_close(conn: AsyncConnection, raised: tuple[list[str], list[str]]) -> bool:
    """Whether a transaction that only raised these items (SKUs, POs) can have an episode to
    close. On SQLite it is the only writer until it commits, so no episode can open meanwhile:
    when none of them is open now (one statement), the locking step has nothing to do; that
    step would cost four statements on every approval and receipt. PostgreSQL always takes it,
    as it must wait for a concurrent opener."""
    skus, pos = raised
    if not skus and not pos:
        return False
    if conn.dialect.name != "sqlite" or len(skus) > KEYS_PER_QUERY or len(pos) > KEYS_PER_QUERY:
        return True
    ids = union_all(*_raised_queries(skus, pos)).subquery()
    e = alert_episodes.c
    keys = select(literal(PREFIX, String) + cast(ids.c.item_id, String))
    return (await conn.execute(select(e.key).where(e.open.is_(True), e.key.in_(keys)).limit(1))).first() is not None


async def sweep(conn: AsyncConnection, now: datetime, low_ids: Collection[int]) -> set[int]:
    """The periodic sweep's locking step, before it raises StockFellBelowReorderPoint for the
    items it found low (`low_ids`, read before this step): locks their rows and every open
    episode in one ordered step, closes the episodes of items that are not low now, and returns
    the items among `low_ids` still low whose episode is not open: those the sweep announces
    (their episodes open when it commits, under the locks taken here)."""
    wanted = set(low_ids)
    rows = await lock(conn, now, wanted, every_open=True)
    low = await _low_now(conn, [i for i, row in rows.items() if row.open or i in wanted])
    await _close(conn, now, [i for i, row in rows.items() if row.open and i not in low])
    return {i for i in wanted if i in low and not rows[i].open}


async def _low_now(conn: AsyncConnection, item_ids: Collection[int]) -> set[int]:
    """The items among these that are low now (what domain.stock.is_low says: active, a reorder
    point above zero, projected stock below it)."""
    ids = sorted(item_ids)
    return {i for part in slices(ids) for i in (await conn.scalars(_LOW, {"ids": part})).all()}


async def _close(conn: AsyncConnection, now: datetime, item_ids: Collection[int]) -> None:
    for part in slices(sorted(episode_key(i) for i in item_ids)):
        await conn.execute(_CLOSE, {"keys": part, "now": now})


async def _open(conn: AsyncConnection, now: datetime, item_ids: Collection[int]) -> None:
    for part in slices(sorted(episode_key(i) for i in item_ids)):
        await conn.execute(_OPEN, {"keys": part, "now": now})


async def risen_items(conn: AsyncConnection, events: Sequence[Event]) -> set[int] | None:
    """Items whose projected stock this transaction's events may have raised, or None for
    "any item" (an import)."""
    return await _risen_ids(conn, _raised(events))


def _raised(events: Sequence[Event]) -> tuple[list[str], list[str]] | None:
    """The SKUs and PO numbers through which these events may have raised projected stock, or
    None for "any item" (an import). Stock comes back by positive adjustments, released
    reservations and receipts beyond the order; inbound by a PO that is open for receiving after
    the transaction and was approved, changed (more on a line, a line added) or revised in it;
    an item edit may lower its reorder point or deactivate it. Other changes cannot make an item
    stop being low."""
    skus: set[str] = set()
    pos: set[str] = set()
    for ev in events:
        match ev:
            case StockAdjusted() if ev.delta > 0:
                skus.add(ev.ref)
            case SalesOrderCancelled():
                skus |= {sku for sku, _ in ev.released}
            case GoodsReceived():
                skus |= {sku for sku, _ in ev.lines}
            case PurchaseOrderApproved() | PurchaseOrderChanged() | PurchaseOrderRevised():
                pos.add(ev.ref)
            case MasterDataChanged() if ev.ref.startswith("import:"):
                return None
            case MasterDataChanged() if ev.kind == "item":
                skus.add(ev.ref)
    return sorted({s.strip().lower() for s in skus}), sorted(pos)


def _raised_queries(sku_keys: Sequence[str], pos: Sequence[str]) -> list[Select[int]]:
    line, po = po_lines.c, purchase_orders.c
    queries: list[Select[int]] = []
    if sku_keys:
        queries.append(select(items.c.id.label("item_id")).where(items.c.sku_key.in_(sku_keys)))
    if pos:
        # A PO counts as inbound only while approved or partially received (storage.stock):
        # a draft being edited, or one sent back to approval by a change, raises nothing.
        queries.append(
            select(line.item_id).join(purchase_orders, po.id == line.po_id).where(po.number.in_(pos), po.status.in_(OPEN_PO))
        )
    return queries


async def _risen_ids(conn: AsyncConnection, raised: tuple[list[str], list[str]] | None) -> set[int] | None:
    if raised is None:
        return None
    skus, pos = raised
    found: set[int] = set()
    for part in slices(skus):
        for query in _raised_queries(part, []):
            found |= set((await conn.scalars(query)).all())
    for part in slices(pos):
        for query in _raised_queries([], part):
            found |= set((await conn.scalars(query)).all())
    return found


def _low_query() -> Any:
    i = items.c
    # Per item, not storage.views' join to every open PO line: these are a few items.
    projected = available() + inbound_query(i.id).scalar_subquery()
    return select(i.id).where(i.id.in_(bindparam("ids", expanding=True)), is_low(projected))


_e = alert_episodes.c
_OPEN_KEYS = select(_e.key).where(_e.open.is_(True), _e.key.startswith(PREFIX))
_LOCK_KEYS = (
    select(_e.key, _e.episode, _e.open).where(_e.key.in_(bindparam("keys", expanding=True))).order_by(_e.key).with_for_update()
)
_OPEN = (
    update(alert_episodes)
    .where(and_(_e.key.in_(bindparam("keys", expanding=True)), _e.open == false()))
    .values(open=true(), episode=_e.episode + 1, updated_at=bindparam("now"))
)
_CLOSE = (
    update(alert_episodes)
    .where(and_(_e.key.in_(bindparam("keys", expanding=True)), _e.open == true()))
    .values(open=false(), updated_at=bindparam("now"))
)
_LOW = _low_query()
