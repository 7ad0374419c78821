"""Read-side timings: each view run a few times on a fresh read snapshot, median reported."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from storage import views
from storage.database import Database
from storage.synthetic import TODAY

View = Callable[[AsyncConnection], Awaitable[Any]]

# The two the issue sets goals for, then the everyday ones for context.
SWEEPS: dict[str, View] = {
    "low_stock": lambda conn: views.low_stock(conn),
    "overdue_pos": lambda conn: views.overdue_pos(conn, TODAY),
    "overdue_sos": lambda conn: views.overdue_sos(conn, TODAY),
}
LOOKUPS: dict[str, View] = {
    "stock_card": lambda conn: views.stock_card(conn, "SKU000042"),
    "search_items": lambda conn: views.search_items(conn, "bolt 12", 10),
    "history_sku": lambda conn: views.history(conn, "SKU000042"),
    "po_list_page": lambda conn: views.po_list(conn, status="approved", created_by=4, page=2),
}


@dataclass(frozen=True, slots=True)
class Timing:
    name: str
    rows: int
    median_s: float
    min_s: float
    max_s: float
    runs: int


def _size(result: Any) -> int:
    if result is None:
        return 0
    if isinstance(result, list):
        return len(result)
    for attr in ("rows", "entries", "warehouses"):
        if hasattr(result, attr):
            return len(getattr(result, attr))
    return 1


async def time_view(db: Database, name: str, view: View, runs: int) -> Timing:
    async with db.reading() as conn:
        await view(conn)  # warm the caches and the statement cache once
    spent, rows = [], 0
    for _ in range(runs):
        async with db.reading() as conn:
            start = time.perf_counter()
            rows = _size(await view(conn))
            spent.append(time.perf_counter() - start)
    return Timing(name, rows, statistics.median(spent), min(spent), max(spent), runs)


async def run(db: Database, runs: int, progress: Callable[[str], None]) -> list[Timing]:
    out = []
    for name, view in {**SWEEPS, **LOOKUPS}.items():
        t = await time_view(db, name, view, runs)
        progress(f"{name:13s} {t.median_s * 1000:8.1f} ms median of {t.runs} ({t.rows:,} rows)")
        out.append(t)
    return out
