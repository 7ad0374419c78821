"""Export: what comes out imports back unchanged."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.tabular import read_table, write_table
from domain import commands as c
from domain.importing import KINDS, validate
from domain.services.base import Env
from domain.services.importing import apply_import
from storage.database import Database
from storage.setup import open_database
from storage.transfer import export_report, export_rows, known_codes
from storage.uow import SqlUnitOfWork
from tests.support import ADMIN, WAREHOUSE, World, q


async def export_all(db: Database, folder: Path, suffix: str = ".csv") -> dict[str, bytes]:
    await asyncio.to_thread(folder.mkdir, exist_ok=True)
    out = {}
    for kind in KINDS:
        async with db.reading() as conn:
            header, rows = await export_rows(conn, kind)
        write_table(folder / f"{kind}{suffix}", header, rows)
        out[kind] = (folder / f"{kind}{suffix}").read_bytes()
    return out


async def import_all(db: Database, env: Env, folder: Path) -> None:
    for kind in ("suppliers", "customers", "items", "stock"):
        async with db.reading() as conn:
            known = await known_codes(conn)
        report = validate(kind, read_table(folder / f"{kind}.csv"), known)
        assert report.ok, report.errors
        await apply_import(report, SqlUnitOfWork(db), env)


async def test_export_then_import_into_an_empty_database_then_export_gives_identical_files(world: World, tmp_path: Path) -> None:
    await world.do(c.CreatePartner(actor_id=ADMIN, kind="supplier", code="HUA", name="华南五金", phone="020-1", currency="HKD"))
    await world.do(
        c.CreateItem(
            actor_id=ADMIN,
            sku="LUO-1",
            name='螺丝, "特大"',
            unit="盒",
            reorder_point=q("2.5"),
            max_qty=q(40),
            pack_size=q(6),
            lead_time_days=3,
            default_supplier="HUA",
            std_cost=q("0.3500"),
            barcode="6901234",
            category="五金",
        )
    )
    await world.stock_in("A-1", 120)
    await world.stock_in("LUO-1", "7.25")
    first = await export_all(world.db, tmp_path / "first")

    empty = await open_database(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    try:
        await import_all(empty, world.env, tmp_path / "first")
        second = await export_all(empty, tmp_path / "second")
    finally:
        await empty.dispose()

    assert second == first
    assert first["items"].startswith(b"\xef\xbb\xbfsku,name,unit,")  # a BOM, so Excel shows Chinese right
    assert "螺丝" in first["items"].decode("utf-8-sig") and b"120" in first["stock"]


async def test_xlsx_export_reads_back_as_the_same_table(world: World, tmp_path: Path) -> None:
    await export_all(world.db, tmp_path / "csv")
    await export_all(world.db, tmp_path / "xlsx", ".xlsx")

    for kind in KINDS:
        assert read_table(tmp_path / "xlsx" / f"{kind}.xlsx") == read_table(tmp_path / "csv" / f"{kind}.csv")


async def test_orders_and_moves_export_one_row_per_line_within_the_days_asked(world: World) -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    await world.stock_in("A-1", 30)  # 2026-11-23 10:00 in Shanghai
    world.clock.advance(days=2)
    number = await world.approved_po((("A-1", 10, "2.5"), ("B-2", 4, "1")))
    await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number))

    async with world.db.reading() as conn:
        _, pos = await export_report(conn, "pos", shanghai, start=date(2026, 11, 25), end=date(2026, 11, 25))
        _, none = await export_report(conn, "pos", shanghai, end=date(2026, 11, 24))
        header, moves = await export_report(conn, "moves", shanghai, start=date(2026, 11, 25))
        _, everything = await export_report(conn, "moves", shanghai)

    assert [(r[0], r[1], r[7], r[8], r[10]) for r in pos] == [
        (number, "received", "A-1", "10", "10"),
        (number, "received", "B-2", "4", "4"),
    ]
    assert pos[0][4] == "2026-11-25T10:00:00"  # local time, not UTC
    assert none == []
    assert [(r[2], r[4], r[5], r[6]) for r in moves] == [("A-1", "receipt", "10", number), ("B-2", "receipt", "4", number)]
    assert header[:3] == ["id", "at", "sku"] and len(everything) == 3
