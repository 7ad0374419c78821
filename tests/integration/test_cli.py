"""The operator's command line, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def caixiao(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CAIXIAO_")} | {"CAIXIAO_LANG": "en"} | env
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_demo_walks_a_po_and_a_sale_through_and_the_books_agree(tmp_path: Path) -> None:
    result = caixiao("demo", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "approved PO-2026-00001" in result.stdout
    assert "status shipped" in result.stdout
    assert "BOLT-M6" in result.stdout and "on hand     1200" in result.stdout
    assert "Ledger check: every balance equals its ledger sum" in result.stdout


def test_run_without_a_token_says_so_and_starts_the_demo(tmp_path: Path) -> None:
    result = caixiao("run", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("No Telegram token configured")


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
