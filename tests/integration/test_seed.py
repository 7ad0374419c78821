"""`caixiao seed --scale N`: a synthetic company whose books agree, into an empty database only."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from domain import commands as c
from domain.services.base import Env
from domain.services.bus import Bus
from storage import synthetic, views
from storage.checks import ledger_drift
from storage.database import Database
from storage.tables import items, po_lines, purchase_orders, sales_orders, so_lines, stock_balances, stock_moves
from storage.uow import SqlUnitOfWorkFactory
from tests.support import FrozenClock

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def count(db: Database, table: object) -> int:
    async with db.reading() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)  # type: ignore[arg-type]


async def test_a_small_synthetic_company_is_consistent_and_real_work_continues_on_it(db: Database) -> None:
    stages: list[tuple[str, int, int]] = []

    data = await synthetic.build(db, synthetic.Spec.scaled(60), lambda *a: stages.append(a), now=NOW)

    async with db.reading() as conn:
        drift = await ledger_drift(conn)
        low = await views.low_stock(conn)
        overdue = await views.overdue_pos(conn, NOW.date())
        statuses = set((await conn.scalars(select(sales_orders.c.status))).all())
        held = await conn.scalar(select(func.sum(so_lines.c.reserved_qty)))
    assert drift == []
    assert data.counts["items"] == 60 and await count(db, items) == 60
    assert await count(db, stock_moves) == 600 and await count(db, stock_balances) == 120
    assert await count(db, purchase_orders) == 12 and await count(db, po_lines) == 36
    assert {"draft", "confirmed", "partially_shipped", "shipped", "cancelled"} <= statuses
    assert held and held > 0 and low and overdue
    assert [s for s, *_ in stages if s != "ledger"] == ["master", "orders", "orders", "balances"]
    assert stages[-1] == ("balances", 120, 120)
    # The application carries on where the dataset stops: order numbers do not collide.
    bus = Bus(SqlUnitOfWorkFactory(db), Env(clock=FrozenClock(NOW)))
    po = await bus.handle(
        c.CreatePurchaseOrder(actor_id=synthetic.BUYER, supplier="SUP001", lines=(("SKU000001", Decimal(5), None),))
    )
    assert po.number == "PO-2026-00013"


async def test_a_database_with_data_is_refused(db: Database) -> None:
    await synthetic.build(db, synthetic.Spec.scaled(10, 0), now=NOW)

    with pytest.raises(ValueError, match="already holds items"):
        await synthetic.build(db, synthetic.Spec.scaled(10), now=NOW)
    async with db.reading() as conn:
        assert "items" in await synthetic.occupied(conn)
    assert await count(db, items) == 10


def test_the_cli_seeds_shows_progress_and_summary_then_check_is_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [k for k in os.environ if k.startswith("CAIXIAO_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CAIXIAO_LANG", "en")
    monkeypatch.setenv("CAIXIAO_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path}/big.db")
    monkeypatch.chdir(tmp_path)

    def caixiao(*args: str) -> subprocess.CompletedProcess[str]:
        code = main(list(args))
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    seeded = caixiao("seed", "--scale", "200", "--moves", "3000")
    check = caixiao("check")
    again = caixiao("seed", "--scale", "200")
    sample = caixiao("seed", "--sample")
    tiny = caixiao("seed", "--scale", "3")
    exported = caixiao("export", "items", "items.csv")

    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.startswith("Synthetic company created in ") and "200 items" in seeded.stdout
    assert "3,000 ledger moves" in seeded.stdout and "40 purchase orders" in seeded.stdout
    [summary] = seeded.stderr.splitlines()  # not a terminal: no progress lines this short, one summary
    assert summary.startswith("seed: ") and " rows in " in summary and summary.endswith(" rows/s)")
    assert check.returncode == 0 and check.stdout.startswith("check: OK — 400 balances"), check.stdout
    assert again.returncode == 1 and "empty database only" in again.stderr and again.stdout == ""
    assert sample.returncode == 1
    assert tiny.returncode == 2 and "at least 10 items" in tiny.stderr
    assert exported.returncode == 0 and exported.stderr.startswith("export items: 200 rows in ")
