"""Low-stock episodes: one alert per item per episode (SPEC §4, RELIABILITY T12, ADR 0008).

`alert_episodes` keeps one row per item, keyed `low_stock:<item id>`: the number of its latest
episode and whether that episode is open. An episode opens when a low-stock event is committed
for an item with no open episode, and closes when the item is no longer low (projected stock at
or above its reorder point, or the item inactive or without a reorder point). The outbox dedup
key of a low-stock alert is `low_stock:<item id>:<episode>`.

Two orders of locking keep this exact under concurrency: a transaction that judged an item low
(its stock change already made) locks the episode row and then decides; a closing transaction
locks the episode row and then reads the stock. Whichever comes second sees the other's
committed effect: a lowering change that committed first keeps the episode open, one that
commits after a close opens a new episode and alerts again. On SQLite the single writer
(BEGIN IMMEDIATE) serialises both, and the row locks compile to nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, false, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events import (
    Event,
    GoodsReceived,
    MasterDataChanged,
    PurchaseOrderApproved,
    SalesOrderCancelled,
    StockAdjusted,
    StockFellBelowReorderPoint,
)
from storage.stock import inbound_query
from storage.tables import alert_episodes, items, po_lines, purchase_orders, stock_balances
from storage.upsert import insert_ignore

PREFIX = "low_stock:"
SLICE = 500  # keys per statement: well under both drivers' bound-parameter limits


def episode_key(item_id: int) -> str:
    return f"{PREFIX}{item_id}"


def _item_of(key: str) -> int:
    return int(key.removeprefix(PREFIX))


def _slices(values: Sequence[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), SLICE):
        yield list(values[start : start + SLICE])


async def settle(conn: AsyncConnection, events: Sequence[Event], now: datetime) -> list[Event]:
    """What a committing transaction writes, with its low-stock events resolved to episodes.

    First closes the episodes of items whose projected stock this transaction may have raised
    (see `risen_items`) and that are no longer low. Then each item with low-stock events keeps
    one (its last: the state at commit) when that opens a new episode, stamped with the episode
    number, and none when its episode was already open: that episode was announced.
    """
    risen = await risen_items(conn, events)
    if risen is None or risen:
        await close_recovered(conn, now, risen)
    last: dict[int, StockFellBelowReorderPoint] = {e.item_id: e for e in events if isinstance(e, StockFellBelowReorderPoint)}
    if not last:
        return list(events)
    opened = await open_episodes(conn, last.keys(), now)
    out: list[Event] = []
    for e in events:
        if not isinstance(e, StockFellBelowReorderPoint):
            out.append(e)
        elif e is last[e.item_id] and e.item_id in opened:
            out.append(replace(e, episode=opened[e.item_id]))
    return out


async def open_episodes(conn: AsyncConnection, item_ids: Collection[int], now: datetime) -> dict[int, int]:
    """Open an episode for each item that has none open; returns {item id: episode} for those
    this call opened. Items whose episode was open already are left out (and stay open)."""
    keys = sorted(episode_key(i) for i in item_ids)
    opened: dict[int, int] = {}
    for part in _slices(keys):
        await conn.execute(
            insert_ignore(conn, alert_episodes, ["key"]),
            [{"key": k, "episode": 0, "open": False, "updated_at": now} for k in part],
        )
        rows = (await conn.execute(_LOCK_KEYS, {"keys": part})).all()
        closed = [r.key for r in rows if not r.open]
        if closed:
            # Under the row locks just taken (the single writer on SQLite) nobody else opens these.
            await conn.execute(_OPEN, {"keys": closed, "now": now})
            opened |= {_item_of(r.key): r.episode + 1 for r in rows if not r.open}
    return opened


async def close_recovered(conn: AsyncConnection, now: datetime, item_ids: Collection[int] | None = None) -> int:
    """Close the open low-stock episodes of items that are not low now; returns how many closed.

    The periodic sweep calls it with `item_ids=None` (every open episode), in its own
    transaction, next to raising StockFellBelowReorderPoint for each item low now (those of
    items whose episode is open change nothing). Every committing unit of work calls it for the
    items whose projected stock it may have raised (`settle`). Low means what
    domain.stock.is_low says: active, a reorder point above zero, projected stock below it.
    Locks the episode rows (in key order) before reading stock; see the module docstring.
    """
    e = alert_episodes.c
    query = select(e.key).where(e.open.is_(True), e.key.startswith(PREFIX)).order_by(e.key).with_for_update()
    if item_ids is not None:
        if not item_ids:
            return 0
        keys = sorted(episode_key(i) for i in item_ids)
        found = [k for part in _slices(keys) for k in (await conn.scalars(query.where(e.key.in_(part)))).all()]
    else:
        found = list((await conn.scalars(query)).all())
    if not found:
        return 0
    ids = [_item_of(k) for k in found]
    still_low = {i for part in _slices(ids) for i in (await conn.scalars(_LOW, {"ids": part})).all()}
    recovered = [episode_key(i) for i in ids if i not in still_low]
    for part in _slices(recovered):
        await conn.execute(_CLOSE, {"keys": part, "now": now})
    return len(recovered)


async def risen_items(conn: AsyncConnection, events: Sequence[Event]) -> set[int] | None:
    """Items whose projected stock this transaction's events may have raised, or None for
    "any item" (an import). Stock comes back by positive adjustments, released reservations,
    receipts beyond the order, and approved POs (inbound); an item edit may lower its reorder
    point or deactivate it. Other changes cannot make an item stop being low."""
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
            case PurchaseOrderApproved():
                pos.add(ev.ref)
            case MasterDataChanged() if ev.ref.startswith("import:"):
                return None
            case MasterDataChanged() if ev.kind == "item":
                skus.add(ev.ref)
    found: set[int] = set()
    if skus:
        keys = sorted({s.strip().lower() for s in skus})
        for part in _slices(keys):
            found |= set((await conn.scalars(select(items.c.id).where(items.c.sku_key.in_(part)))).all())
    if pos:
        line, po = po_lines.c, purchase_orders.c
        query = select(line.item_id).join(purchase_orders, po.id == line.po_id).where(po.number.in_(sorted(pos)))
        found |= set((await conn.scalars(query)).all())
    return found


def _low_query() -> Any:
    i, b = items.c, stock_balances.c
    available = select(func.coalesce(func.sum(b.on_hand - b.reserved), 0)).where(b.item_id == i.id).scalar_subquery()
    inbound = inbound_query(i.id).scalar_subquery()
    return select(i.id).where(
        i.id.in_(bindparam("ids", expanding=True)),
        i.active.is_(True),
        i.reorder_point > 0,
        available + inbound < i.reorder_point,
    )


_e = alert_episodes.c
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
