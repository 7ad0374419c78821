"""Bulk import paths: files larger than a chunk behave exactly like small ones, on both backends."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from pathlib import Path

import pytest

from bot.tabular import read_table
from domain.importing import validate
from domain.master import Item
from domain.services import importing
from domain.services.importing import ApplyImport, ImportResult
from storage.master_repos import SqlItems
from storage.tables import audit_log, items, stock_balances, stock_moves
from storage.transfer import known_codes
from tests.support import World

N = importing.CHUNK * 2 + 7  # three chunks, the last one short


async def run_import(world: World, kind: str, path: Path, progress: list[tuple[int, int]] | None = None) -> ImportResult:
    async with world.db.reading() as conn:
        known = await known_codes(conn)
    report = validate(kind, read_table(path), known)
    assert report.ok, report.errors[:3]
    tick = (lambda done, total: progress.append((done, total))) if progress is not None else None
    result: ImportResult = await world.bus.handle(ApplyImport(actor_id=None, source="cli", report=report, progress=tick))
    return result


def items_csv(path: Path, n: int, *, renamed_every: int = 0) -> Path:
    lines = ["sku,name,reorder_point,pack_size,supplier,std_cost"]
    for i in range(n):
        name = f"Part {i}" + (" v2" if renamed_every and i % renamed_every == 0 else "")
        lines.append(f"P-{i:05d},{name},{i % 7},{1 + i % 3},{'ACME' if i % 2 else ''},{i % 100}.5")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_a_file_of_several_chunks_creates_then_updates_by_code(world: World, tmp_path: Path) -> None:
    ticks: list[tuple[int, int]] = []
    first = await run_import(world, "items", items_csv(tmp_path / "a.csv", N), ticks)
    second = await run_import(world, "items", items_csv(tmp_path / "b.csv", N, renamed_every=100))
    third = await run_import(world, "items", tmp_path / "b.csv")

    assert (first.created, first.updated, first.unchanged) == (N, 0, 0)
    assert ticks == [(importing.CHUNK, N), (2 * importing.CHUNK, N), (N, N)]
    renamed = len(range(0, N, 100))
    assert (second.created, second.updated, second.unchanged) == (0, renamed, N - renamed)
    assert (third.created, third.updated, third.unchanged) == (0, 0, N)
    assert await world.count(items) == N + 3
    # Every new item has its MAIN balance, as one created alone would.
    assert await world.count(stock_balances) == await world.count(items)
    async with world.bus.uow_factory() as uow:
        part = await uow.items.by_sku("p-00100")
        plain = await uow.items.by_sku("P-00101")
        acme = await uow.suppliers.by_code("ACME")
    assert (part.name, part.version) == ("Part 100 v2", 1)  # updated once, version checked
    assert (plain.name, plain.version, plain.default_supplier_id) == ("Part 101", 0, acme.id)
    assert (plain.reorder_point, plain.pack_size, plain.std_cost) == (Decimal(3), Decimal(3), Decimal("1.5"))
    # One audit row per import, as before: the file is one act.
    assert await world.count(audit_log, audit_log.c.ref == "import:items") == 3
    assert await world.drift() == []


async def test_partners_in_bulk_keep_columns_the_file_does_not_have(world: World, tmp_path: Path) -> None:
    n = importing.CHUNK + 1
    path = tmp_path / "sup.csv"
    path.write_text("code,name\n" + "".join(f"S{i:05d},Supplier {i}\n" for i in range(n)) + "acme,Acme Group\n")
    first = await run_import(world, "suppliers", path)
    path.write_text("code,name,lead_time_days\n" + "".join(f"S{i:05d},Supplier {i},{i % 2}\n" for i in range(n)))
    second = await run_import(world, "suppliers", path)

    assert (first.created, first.updated) == (n, 1)
    assert (second.created, second.updated, second.unchanged) == (0, n // 2, n - n // 2)
    async with world.bus.uow_factory() as uow:
        acme = await uow.suppliers.by_code("ACME")
        odd = await uow.suppliers.by_code("s00001")
    assert (acme.name, acme.lead_time_days) == ("Acme Group", 5)
    assert odd.lead_time_days == 1


async def test_opening_stock_for_many_items_is_posted_once(world: World, tmp_path: Path) -> None:
    await run_import(world, "items", items_csv(tmp_path / "a.csv", N))
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,qty\n" + "".join(f"P-{i:05d},{i % 5}\n" for i in range(N)), encoding="utf-8")

    first = await run_import(world, "stock", stock)
    moves = await world.count(stock_moves)
    second = await run_import(world, "stock", stock)

    nonzero = sum(1 for i in range(N) if i % 5)
    assert (first.updated, first.unchanged) == (nonzero, N - nonzero)
    assert await world.count(stock_moves, stock_moves.c.ref == first.ref, stock_moves.c.source == "import") == nonzero
    assert (second.updated, second.unchanged, second.ref) == (0, N, "")
    assert await world.count(stock_moves) == moves
    assert await world.balance("P-00004") == (Decimal(4), Decimal(0))
    assert await world.drift() == []


async def test_an_item_created_meanwhile_makes_the_bus_retry_the_whole_file(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookup says new, the insert finds the SKU taken (someone created it in between):
    the database refuses, the Bus retries on a fresh transaction, and the retry updates it."""
    path = tmp_path / "a.csv"
    path.write_text("sku,name\nNEW-1,Hinge\nA-1,Bolt M6\n", encoding="utf-8")
    async with world.db.reading() as conn:
        report = validate("items", read_table(path), await known_codes(conn))
    lookups: list[int] = []
    real = SqlItems.by_skus

    async def stale_once(self: SqlItems, skus: Collection[str]) -> dict[str, Item]:
        lookups.append(len(skus))
        return {} if len(lookups) == 1 else await real(self, skus)

    monkeypatch.setattr(SqlItems, "by_skus", stale_once)
    result = await world.bus.handle(ApplyImport(actor_id=None, report=report))

    assert len(lookups) == 2
    assert (result.created, result.updated) == (1, 1)
    assert await world.count(items) == 4
    async with world.bus.uow_factory() as uow:
        assert (await uow.items.by_sku("A-1")).name == "Bolt M6"
