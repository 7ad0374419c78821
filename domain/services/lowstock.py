"""Judging low stock right after a change that lowered an item's projected quantity.

Every lowering change that leaves an item low raises StockFellBelowReorderPoint, not only the
one that crossed the point: whether it is news is the episode's business (storage.episodes
gives one alert per episode at commit), and judging crossings here alone would miss an item
that was low before while its last episode had closed (a raised reorder point, a lost race).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from domain.acts import Act
from domain.events import StockFellBelowReorderPoint
from domain.ports import UnitOfWork
from domain.stock import StockChange, is_low, suggested_order_qty


def drops(changes: Iterable[StockChange]) -> dict[int, Decimal]:
    """How much each change lowered available (and so projected), per item."""
    out: dict[int, Decimal] = {}
    for change in changes:
        delta = change.on_hand_delta - change.reserved_delta
        out[change.item_id] = out.get(change.item_id, Decimal(0)) - delta
    return {item_id: drop for item_id, drop in out.items() if drop > 0}


async def projected(uow: UnitOfWork, item_ids: Iterable[int]) -> dict[int, Decimal]:
    return {item_id: (await uow.stock.position(item_id)).projected for item_id in item_ids}


async def _judge(uow: UnitOfWork, act: Act, item_id: int, was: Decimal, now: Decimal) -> None:
    if now >= was:
        return
    item = await uow.items.get(item_id)
    if is_low(item, now):
        uow.record(
            [
                StockFellBelowReorderPoint(
                    **act.stamp(item.sku),
                    item_id=item_id,
                    item_name=item.name,
                    projected=now,
                    reorder_point=item.reorder_point,
                    suggested_qty=suggested_order_qty(item, now),
                )
            ]
        )


async def note_crossings(uow: UnitOfWork, act: Act, before: Mapping[int, Decimal]) -> None:
    """Raise StockFellBelowReorderPoint for each item the change lowered and left low.

    `before` maps item id to its projected quantity before the change; call after saving.
    """
    for item_id, was in before.items():
        await _judge(uow, act, item_id, was, (await uow.stock.position(item_id)).projected)


async def after_stock_change(uow: UnitOfWork, act: Act, changes: Iterable[StockChange]) -> None:
    """For stock-only changes: projected before = now + what the change took away."""
    for item_id, drop in drops(changes).items():
        now = (await uow.stock.position(item_id)).projected
        await _judge(uow, act, item_id, now + drop, now)
