"""The operator's command line, run as a user would run it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from storage import views
from storage.checks import ledger_drift
from storage.setup import open_database
from tests.support import FrozenClock, World

ROOT = Path(__file__).parents[2]


def _environ(**env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CAIXIAO_")}
    return clean | {"CAIXIAO_LANG": "en", "PYTHONPATH": str(ROOT)} | env


def caixiao(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=_environ(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_then_check_on_a_new_database_is_clean(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/x.db"

    migrated = caixiao("migrate", cwd=tmp_path, CAIXIAO_DATABASE__URL=url)
    checked = caixiao("check", cwd=tmp_path, CAIXIAO_DATABASE__URL=url)

    assert migrated.returncode == 0 and "latest schema" in migrated.stdout
    assert checked.returncode == 0 and checked.stdout.startswith("check: OK")


def test_a_bad_config_stops_with_the_key_named_and_no_traceback(tmp_path: Path) -> None:
    result = caixiao("check", cwd=tmp_path, CAIXIAO_DATABASE__URL="mysql://nope")

    assert result.returncode == 2
    assert "[database] url" in result.stderr
    assert "Traceback" not in result.stderr


def test_version_is_printed(tmp_path: Path) -> None:
    result = caixiao("--version", cwd=tmp_path)

    assert result.returncode == 0 and result.stdout.startswith("caixiao ")


def test_an_operator_registers_lists_and_deactivates_a_user(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/ops.db"

    added = caixiao(
        "user", "add", "4242", "--name", "Lin 林", "--role", "buyer", "--role", "sales", cwd=tmp_path, CAIXIAO_DATABASE__URL=url
    )
    removed = caixiao("user", "remove", "4242", cwd=tmp_path, CAIXIAO_DATABASE__URL=url)
    listed = caixiao("user", "list", cwd=tmp_path, CAIXIAO_DATABASE__URL=url)

    assert added.returncode == 0 and "Registered 4242 (Lin 林) as buyer, sales" in added.stdout
    assert removed.returncode == 0 and "Deactivated 4242" in removed.stdout
    assert "4242" in listed.stdout and "deactivated" in listed.stdout and "1 user(s)." in listed.stdout


def test_a_bad_role_is_refused_with_the_roles_that_exist_and_no_traceback(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/ops.db"

    result = caixiao("user", "add", "7", "--name", "X", "--role", "boss", cwd=tmp_path, CAIXIAO_DATABASE__URL=url)
    listed = caixiao("user", "list", cwd=tmp_path, CAIXIAO_DATABASE__URL=url)

    assert result.returncode == 1
    assert "unknown role (admin, manager, buyer, warehouse, sales, viewer)" in result.stderr
    assert "Traceback" not in result.stderr
    assert "0 user(s)." in listed.stdout


async def test_a_backup_taken_while_writes_run_opens_and_passes_check(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/live.db"
    db = await open_database(url)
    world = World(db, FrozenClock())
    await world.seed()
    writing = True

    async def writer() -> int:
        done = 0
        while writing:
            await world.stock_in("B-2", 1)
            done += 1
        return done

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.2)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "backup",
        str(tmp_path / "copy.db"),
        cwd=tmp_path,
        env=_environ(CAIXIAO_DATABASE__URL=url),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    writing = False
    writes = await task
    await db.dispose()

    checked = await asyncio.to_thread(
        caixiao, "check", cwd=tmp_path, CAIXIAO_DATABASE__URL=f"sqlite+aiosqlite:///{tmp_path}/copy.db"
    )
    assert proc.returncode == 0, err.decode()
    assert "Backup written to" in out.decode()
    assert writes > 5
    assert checked.returncode == 0 and checked.stdout.startswith("check: OK"), checked.stdout + checked.stderr


def test_backup_on_postgresql_prints_the_pg_dump_command(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://caixiao@db.internal:5433/erp"

    result = caixiao("backup", "erp.dump", cwd=tmp_path, CAIXIAO_DATABASE__URL=url)

    assert result.returncode == 0
    assert "pg_dump -h db.internal -p 5433 -U caixiao -Fc -f erp.dump erp" in result.stdout


async def test_the_sample_company_has_the_stories_the_sandbox_needs(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/sample.db"

    first = await asyncio.to_thread(caixiao, "seed", "--sample", cwd=tmp_path, CAIXIAO_DATABASE__URL=url)
    again = await asyncio.to_thread(caixiao, "seed", "--sample", cwd=tmp_path, CAIXIAO_DATABASE__URL=url)

    assert first.returncode == 0 and "30 items" in first.stdout, first.stderr
    assert again.returncode == 1 and "empty database only" in again.stdout
    db = await open_database(url)
    try:
        async with db.reading() as conn:
            low = await views.low_stock(conn)
            overdue = await views.overdue_pos(conn, datetime.now(ZoneInfo("Asia/Shanghai")).date())
            pending = await views.po_list(conn, status="pending_approval")
            drift = await ledger_drift(conn)
    finally:
        await db.dispose()
    assert {row.sku for row in low} >= {"DRILL-8", "ROLLER-9", "TAPE-DUCT"}  # MASK-N95 is low but on its way
    assert [o.partner for o in overdue] == ["SAFEGEAR"]
    assert pending.total == 1
    assert drift == []
