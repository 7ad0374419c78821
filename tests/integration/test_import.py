"""Bulk import: real files, a real database, all or nothing."""

from __future__ import annotations

import os
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from bot.cli import main
from bot.tabular import TableRefused, read_table
from domain.errors import InvalidInput
from domain.importing import ImportReport, validate
from domain.services.importing import ImportResult, apply_import
from storage.tables import items, stock_moves, suppliers
from storage.transfer import known_codes
from tests.support import World, snapshot


async def check_file(world: World, kind: str, path: Path, **kw: str) -> ImportReport:
    table = read_table(path, **kw)
    async with world.db.reading() as conn:
        known = await known_codes(conn)
    return validate(kind, table, known)


async def load(world: World, kind: str, path: Path, **kw: str) -> ImportResult:
    report = await check_file(world, kind, path, **kw)
    assert report.ok, report.errors
    return await apply_import(report, world.bus.uow_factory(), world.env)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


async def test_a_gbk_csv_with_chinese_headers_and_names_imports(world: World, tmp_path: Path) -> None:
    write(tmp_path / "sup.csv", "编码,名称,电话,币种\nHUA,华南五金有限公司,020-1234,cny\n", "gbk")
    items_csv = write(
        tmp_path / "items.csv",
        "编码,名称,单位,安全库存,补货量,包装数,供应商,标准成本\n"
        'LUO-1,不锈钢螺丝 M6,个,"1,000",５００,10,HUA,0.35\n'
        "MAO-2,螺母,只,0,,,,\n",
        "gbk",
    )

    assert (await load(world, "suppliers", tmp_path / "sup.csv")).created == 1
    result = await load(world, "items", items_csv)

    assert (result.created, result.updated) == (2, 0)
    async with world.bus.uow_factory() as uow:
        item = await uow.items.by_sku("luo-1")
        supplier = await uow.suppliers.by_code("HUA")
    assert item.name == "不锈钢螺丝 M6" and item.unit == "个"
    assert (item.reorder_point, item.reorder_qty, item.pack_size) == (Decimal(1000), Decimal(500), Decimal(10))
    assert item.default_supplier_id == supplier.id and item.std_cost == Decimal("0.35")
    assert supplier.name == "华南五金有限公司" and supplier.currency == "CNY"


async def test_three_bad_rows_among_a_thousand_are_reported_exactly_and_nothing_changes(world: World, tmp_path: Path) -> None:
    rows = [f"SKU-{n:04d},Item {n},pcs,{n % 50},ACME" for n in range(1000)]
    rows[99] = "SKU-0099,Item 99,pcs,-5,ACME"  # line 101: negative
    rows[499] = "SKU-0499,Item 499,pcs,1O,ACME"  # line 501: a letter O, not a number
    rows[899] = "SKU-0001,Item dup,pcs,1,NOBODY"  # line 901: duplicate SKU and unknown supplier
    path = write(tmp_path / "items.csv", "sku,name,unit,reorder_point,supplier\n" + "\n".join(rows) + "\n")
    before = await snapshot(world.db)

    report = await check_file(world, "items", path)

    assert report.rows == 1000 and report.bad_lines == [101, 501, 901]
    found = {(e.line, e.column, e.reason) for e in report.errors}
    assert found == {
        (101, "reorder_point", "must_not_be_negative"),
        (501, "reorder_point", "not_a_number"),
        (901, "sku", "duplicate_in_file"),
        (901, "supplier", "unknown_supplier"),
    }
    assert next(e for e in report.errors if e.reason == "duplicate_in_file").other_line == 3
    with pytest.raises(InvalidInput, match="invalid_file"):
        await apply_import(report, world.bus.uow_factory(), world.env)
    assert await snapshot(world.db) == before
    assert await world.count(items) == 3


async def test_importing_opening_stock_twice_leaves_stock_unchanged(world: World, tmp_path: Path) -> None:
    await world.stock_in("A-1", 7)
    path = write(tmp_path / "stock.csv", "编码,仓库,数量\nA-1,MAIN,100\nB-2,,25.5\nC-3,main,0\n")

    first = await load(world, "stock", path)
    moves = await world.count(stock_moves)
    second = await load(world, "stock", path)

    assert (first.updated, first.unchanged) == (2, 1) and first.ref.startswith("IMP-")
    assert (second.updated, second.unchanged) == (0, 3)
    assert await world.count(stock_moves) == moves
    assert await world.count(stock_moves, stock_moves.c.source == "import") == 2
    assert await world.balance("A-1") == (Decimal(100), Decimal(0))
    assert await world.balance("B-2") == (Decimal("25.5"), Decimal(0))
    assert await world.drift() == []


async def test_re_import_updates_by_code_instead_of_duplicating(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "items.csv", "sku,name,reorder_point\nNEW-1,Hinge,5\na-1,Bolt M6,30\n")
    first = await load(world, "items", path)
    write(path, "sku,name,reorder_point\nNEW-1,Hinge large,6\na-1,Bolt M6,30\n")
    second = await load(world, "items", path)
    write(tmp_path / "sup.csv", "code,name,lead_time_days\nacme,Acme Group,9\n")
    partner = await load(world, "suppliers", tmp_path / "sup.csv")

    assert (first.created, first.updated) == (1, 1)
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    assert (partner.created, partner.updated) == (0, 1)
    assert await world.count(items) == 4 and await world.count(suppliers) == 1
    async with world.bus.uow_factory() as uow:
        item = await uow.items.by_sku("NEW-1")
        bolt = await uow.items.by_sku("A-1")
        acme = await uow.suppliers.by_code("ACME")
    assert (item.name, item.reorder_point) == ("Hinge large", Decimal(6))
    assert bolt.sku == "A-1" and bolt.default_supplier_id == acme.id  # columns not in the file are kept
    assert (acme.name, acme.lead_time_days) == ("Acme Group", 9)


def test_xlsx_is_read_from_the_named_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "notes"
    sheet = book.create_sheet("物料")
    sheet.append(["sku", "name", "reorder_point"])
    sheet.append(["X-1", "Widget", 2.5])
    sheet.append(["X-2", "Gadget", 10])
    book.save(tmp_path / "items.xlsx")

    rows = read_table(tmp_path / "items.xlsx", sheet="物料")

    assert rows == [["sku", "name", "reorder_point"], ["X-1", "Widget", "2.5"], ["X-2", "Gadget", "10"]]
    with pytest.raises(TableRefused) as refused:
        read_table(tmp_path / "items.xlsx", sheet="nope")
    assert refused.value.reason == "no_sheet"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("items.csv", Path("/bin/sh").read_bytes()[:4096] if Path("/bin/sh").exists() else b"\x7fELF\x00\x01", "binary"),
        ("items.csv", b"PK\x03\x04 a zip renamed", "binary"),
        ("items.xlsx", b"PK\x03\x04 not really a workbook", "broken_xlsx"),
        ("items.xls", b"\xd0\xcf\x11\xe0 old excel", "old_xls"),
        ("items.pdf", b"%PDF-1.4", "wrong_type"),
        ("items.csv", b"sku,name\n\xff\xfe\xff\xfe,x\n", "undecodable"),
    ],
)
def test_files_of_the_wrong_kind_are_refused(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(content)

    with pytest.raises(TableRefused) as refused:
        read_table(tmp_path / name)

    assert refused.value.reason == reason


def test_the_encoding_can_be_named(tmp_path: Path) -> None:
    path = write(tmp_path / "items.csv", "编码,名称\nA-1,螺栓\n", "gbk")

    assert read_table(path, encoding="gbk") == [["编码", "名称"], ["A-1", "螺栓"]]
    for encoding, reason in (("utf-8", "undecodable"), ("klingon", "unknown_encoding")):
        with pytest.raises(TableRefused) as refused:
            read_table(path, encoding=encoding)
        assert refused.value.reason == reason


def test_a_truncated_xlsx_is_refused(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["sku", "name"])
    book.save(tmp_path / "good.xlsx")
    data = (tmp_path / "good.xlsx").read_bytes()
    (tmp_path / "broken.xlsx").write_bytes(data[: len(data) // 2])
    with zipfile.ZipFile(tmp_path / "good.xlsx") as z:
        assert "xl/workbook.xml" in z.namelist()

    with pytest.raises(TableRefused) as refused:
        read_table(tmp_path / "broken.xlsx")

    assert refused.value.reason == "broken_xlsx"


def test_the_cli_refuses_bad_files_and_reports_bad_rows_without_changing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [k for k in os.environ if k.startswith("CAIXIAO_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CAIXIAO_LANG", "en")
    monkeypatch.setenv("CAIXIAO_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path}/x.db")
    monkeypatch.chdir(tmp_path)

    def caixiao(*args: str) -> subprocess.CompletedProcess[str]:
        """In process (a subprocess per call costs a second): the same main() the script runs."""
        code = main(list(args))
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04junk")
    write(tmp_path / "items.csv", "sku,name,reorder_point\nA-1,Bolt,1\nB-2,Nut,-1\n")
    write(tmp_path / "good.csv", "sku,name\nA-1,Bolt\n")
    write(tmp_path / "stock.csv", "sku,qty\nA-1,12\n")

    binary = caixiao("import", "items", "bin.csv")
    broken = caixiao("import", "items", "broken.xlsx")
    bad = caixiao("import", "items", "items.csv")
    usage = caixiao("import", "items")
    template = caixiao("import", "--template", "stock")
    good = caixiao("import", "items", "good.csv")
    stock = [caixiao("import", "stock", "stock.csv") for _ in range(2)]
    check = caixiao("check")
    exported = caixiao("export", "items", "out.csv")
    again = caixiao("import", "items", "out.csv")

    assert binary.returncode == 1 and "looks binary" in binary.stderr and "Traceback" not in binary.stderr
    assert broken.returncode == 1 and "not a readable .xlsx" in broken.stderr
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        "line 3, column reorder_point “-1”: must not be negative",
        "items: 1 bad row(s) among 2; nothing changed.",
    ]
    assert usage.returncode == 2
    assert template.returncode == 0 and template.stdout == "sku,warehouse,qty\n"
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "items: 1 rows valid, 1 created, 0 updated, 0 unchanged."
    assert [s.returncode for s in stock] == [0, 0]
    assert "1 counts posted" in stock[0].stdout and "nothing posted" in stock[1].stdout
    assert check.returncode == 0 and "check: OK" in check.stdout
    assert exported.returncode == 0 and exported.stdout.strip() == "items: 1 rows exported to out.csv."
    assert again.stdout.strip() == "items: 1 rows valid, 0 created, 0 updated, 1 unchanged."
