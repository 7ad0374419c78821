"""The unit of work's edges: a failed COMMIT must not leak its transaction into the pool."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain import commands as c
from tests.support import WAREHOUSE, World


async def test_a_commit_that_fails_leaves_nothing_behind_for_the_next_user(world: World, monkeypatch: Any) -> None:
    def failing_commit(self: Any, dbapi_connection: Any) -> None:
        raise OSError("disk I/O error during COMMIT")

    # At the driver: SQLAlchemy then believes the transaction ended while the driver is still in it.
    monkeypatch.setattr(type(world.db.write_engine.dialect), "do_commit", failing_commit)
    with pytest.raises(OSError, match="COMMIT"):
        await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="B-2", delta=Decimal(7), reason="count"))
    monkeypatch.undo()

    for _ in range(3):  # whichever pooled connection comes next
        await world.do(c.AdjustStock(actor_id=WAREHOUSE, sku="B-2", delta=Decimal(1), reason="count"))

    assert await world.balance("B-2") == (Decimal(3), Decimal(0))
    assert await world.drift() == []
