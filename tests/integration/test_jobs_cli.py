"""`caixiao jobs list` and `caixiao jobs run <name>` (in-process: main() is what the script runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/jobs.db"\n', encoding="utf-8")
    return path


def test_run_a_job_then_list_shows_its_last_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIXIAO_LANG", "en")
    config = str(_config(tmp_path))

    ran = main(["--config", config, "jobs", "run", "daily_digest"])
    ran_out = capsys.readouterr().out
    again = main(["--config", config, "jobs", "run", "daily_digest"])
    again_out = capsys.readouterr().out
    listed = main(["--config", config, "jobs", "list"])
    listing = capsys.readouterr().out.splitlines()

    assert (ran, again, listed) == (0, 0, 0)
    assert ran_out.startswith("daily_digest: done, 1 new alert(s) queued")
    assert "has already run; nothing new" in again_out
    assert listing[0] == "Scheduled jobs (times in Asia/Shanghai):"
    assert [line.split()[0] for line in listing[1:]] == ["low_stock_sweep", "overdue_check", "approval_reminders", "daily_digest"]
    assert "0 18 * * *" in listing[4] and "ok, 1 new alert(s)" in listing[4]
    assert "not run yet" in listing[1]


def test_an_unknown_job_lists_the_names_in_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIXIAO_LANG", "zh")

    code = main(["--config", str(_config(tmp_path)), "jobs", "run", "digest"])

    assert code == 2
    assert capsys.readouterr().out.strip() == (
        "没有名为“digest”的任务。可用的任务：low_stock_sweep, overdue_check, approval_reminders, daily_digest"
    )
    assert not (tmp_path / "jobs.db").exists()
