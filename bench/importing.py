"""Import throughput: an item list from a generated CSV through the real path, against a floor.

Ours is what `caixiao import items FILE` does, timed end to end in-process: read the file with
the real CSV reader (`bot.tabular.read_table`), ask which codes exist, validate every row
(`domain.importing.validate`) and apply the report through the Bus (`ApplyImport`, one
transaction: items inserted in bulk, each with its MAIN balance, plus the audit row). The floor
is the least a program can do to put the same rows into the same table: one plain SQLAlchemy
Core `insert(items)` executemany per 10,000 rows of values already built in memory, in one
transaction — no file, no validation, no balances, no audit. Both run in the same scratch
database; the floor runs before ours and again after (its rows deleted each time, and ours before
the second run), and its mean time is used, so load from other processes hits both sides alike.

A second import of the same file with every tenth row changed measures re-import (updates by
SKU); the third is the unchanged file again, which must change nothing.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.tabular import read_table
from domain.importing import template, validate
from domain.services.bus import Bus
from domain.services.importing import ApplyImport, ImportResult
from storage.checks import ledger_drift
from storage.database import Database
from storage.tables import items, stock_balances, suppliers
from storage.transfer import known_codes

SUPPLIERS = 50
FLOOR_CHUNK = 10_000
GOAL_ROWS_PER_S = 5_000.0  # the goal for 100,000 items on SQLite


@dataclass(frozen=True, slots=True)
class ImportTiming:
    rows: int
    read_s: float
    validate_s: float  # known codes + validation
    apply_s: float
    ours_rows_per_s: float  # rows / (read + validate + apply)
    floor_rows_per_s: float
    ratio: float  # ours ÷ floor
    reimport_rows_per_s: float  # the same file with every tenth row changed: updates
    updated: int
    unchanged_again: int  # the unchanged file imported once more: every row unchanged


def _item_row(i: int, changed: bool = False) -> list[str]:
    name = f"Item {i} 不锈钢螺丝 M{i % 20 + 3}" + (" (new)" if changed else "")
    rp = (i * 37) % 50 + 5 if i % 10 < 7 else 0
    return [
        f"IMP{i:06d}",
        name,
        "pcs" if i % 3 else "个",
        str(rp),
        str(rp * 2) if rp else "",
        str(rp * 4) if rp and i % 4 == 0 else "",
        "6" if i % 5 == 0 else "1",
        str(i % 30),
        f"SUP{i % SUPPLIERS + 1:03d}",
        f"{i % 500 + 1}.25",
        f"69{i:011d}" if i % 2 else "",
        ("hardware", "fasteners", "safety", "电工")[i % 4],
    ]


def write_csv(path: Path, rows: int, *, changed_every: int = 0) -> Path:
    """An item list as an operator would export it from Excel (UTF-8 with BOM)."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(template("items"))
        for i in range(1, rows + 1):
            writer.writerow(_item_row(i, changed=bool(changed_every) and i % changed_every == 0))
    return path


def _floor_rows(rows: int, supplier_ids: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for i in range(1, rows + 1):
        sku, name, unit, rp, rq, mx, pack, lead, sup, cost, barcode, category = _item_row(i)
        out.append(
            {
                "sku": sku,
                "sku_key": sku.lower(),
                "name": name,
                "unit": unit,
                "barcode": barcode or None,
                "category": category,
                "reorder_point": Decimal(rp),
                "reorder_qty": Decimal(rq) if rq else None,
                "max_qty": Decimal(mx) if mx else None,
                "pack_size": Decimal(pack),
                "lead_time_days": int(lead),
                "default_supplier_id": supplier_ids[sup.lower()],
                "std_cost": Decimal(cost),
                "last_cost": None,
                "active": True,
                "version": 0,
            }
        )
    return out


async def _floor(db: Database, rows: int, supplier_ids: dict[str, int]) -> float:
    """Seconds for plain Core executemany of the same rows; the rows are removed afterwards."""
    values = _floor_rows(rows, supplier_ids)
    statement = sa.insert(items)
    started = time.perf_counter()
    async with db.write_engine.begin() as conn:
        for start in range(0, len(values), FLOOR_CHUNK):
            await conn.execute(statement, values[start : start + FLOOR_CHUNK])
    spent = time.perf_counter() - started
    await _clear(db)
    return spent


async def _clear(db: Database) -> None:
    async with db.write_engine.begin() as conn:
        ours = sa.select(items.c.id).where(items.c.sku_key.like("imp%"))
        await conn.execute(sa.delete(stock_balances).where(stock_balances.c.item_id.in_(ours)))
        await conn.execute(sa.delete(items).where(items.c.sku_key.like("imp%")))


async def _ours(bus: Bus, db: Database, path: Path) -> tuple[float, float, float, ImportResult]:
    started = time.perf_counter()
    table = read_table(path)
    read_s = time.perf_counter() - started
    async with db.reading() as conn:
        known = await known_codes(conn)
    report = validate("items", table, known)
    validate_s = time.perf_counter() - started - read_s
    if not report.ok:
        raise RuntimeError(f"generated file invalid: {report.errors[:3]}")
    result: ImportResult = await bus.handle(ApplyImport(actor_id=None, source="cli", report=report))
    apply_s = time.perf_counter() - started - read_s - validate_s
    return read_s, validate_s, apply_s, result


async def _suppliers(db: Database) -> dict[str, int]:
    async with db.write_engine.begin() as conn:
        partner = {"phone": None, "email": None, "chat": None, "currency": "CNY", "payment_terms": None, "active": True}
        await conn.execute(
            sa.insert(suppliers),
            [
                {"code": f"SUP{s:03d}", "code_key": f"sup{s:03d}", "name": f"Supplier {s}", "lead_time_days": 7, **partner}
                for s in range(1, SUPPLIERS + 1)
            ],
        )
        return {key: id_ for key, id_ in await conn.execute(sa.select(suppliers.c.code_key, suppliers.c.id))}


async def run(
    db: Database, bus: Bus, rows: int, workdir: Path, progress: Callable[[str], None]
) -> tuple[ImportTiming, list[str]]:
    """Floor; ours (creates), ours with changes (updates), ours unchanged (no-op); floor again."""
    problems: list[str] = []
    supplier_ids = await _suppliers(db)
    first = write_csv(workdir / "items.csv", rows)
    second = write_csv(workdir / "items-changed.csv", rows, changed_every=10)
    floor_s = await _floor(db, rows, supplier_ids)
    progress(f"import floor: {rows:,} rows by plain Core executemany in {floor_s:.2f} s ({rows / floor_s:,.0f} rows/s)")
    read_s, validate_s, apply_s, created = await _ours(bus, db, first)
    total_s = read_s + validate_s + apply_s
    progress(
        f"import ours: {rows:,} rows in {total_s:.2f} s ({rows / total_s:,.0f} rows/s; "
        f"read {read_s:.2f} s, validate {validate_s:.2f} s, apply {apply_s:.2f} s)"
    )
    if created.created != rows:
        problems.append(f"import created {created.created} items, expected {rows}")
    r2, v2, a2, changed = await _ours(bus, db, second)
    again_s = r2 + v2 + a2
    progress(f"re-import: {rows:,} rows, {changed.updated:,} updated in {again_s:.2f} s ({rows / again_s:,.0f} rows/s)")
    if changed.updated != rows // 10:
        problems.append(f"re-import updated {changed.updated} items, expected {rows // 10}")
    *_, same = await _ours(bus, db, second)
    if same.unchanged != rows:
        problems.append(f"importing the same file again changed {rows - same.unchanged} items")
    async with db.reading() as conn:
        count = int(await conn.scalar(sa.select(sa.func.count()).select_from(items)) or 0)
        drift = await ledger_drift(conn)
    if count != rows:
        problems.append(f"{count} items after the imports, expected {rows}")
    if drift:
        problems.append(f"{len(drift)} balances disagree with the ledger after the import")
    await _clear(db)
    floor_again_s = await _floor(db, rows, supplier_ids)
    progress(f"import floor again: {floor_again_s:.2f} s ({rows / floor_again_s:,.0f} rows/s)")
    ours, floor = rows / total_s, rows / ((floor_s + floor_again_s) / 2)
    timing = ImportTiming(
        rows, read_s, validate_s, apply_s, ours, floor, ours / floor, rows / again_s, changed.updated, same.unchanged
    )
    return timing, problems
