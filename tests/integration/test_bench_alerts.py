"""The alert benchmark in a tiny mode, so its code cannot rot, and its yardstick."""

from __future__ import annotations

import pytest

from bench import alerts
from bench.cli import parse
from notifications.pacer import Limits


def test_the_minimum_is_what_the_limits_allow_when_sending_takes_no_time() -> None:
    telegram = Limits()

    assert alerts.minimum_seconds([20], telegram) == 19  # one a second
    assert alerts.minimum_seconds([120], telegram) == 5 * 60 + 19  # then 20 a minute
    assert alerts.minimum_seconds([21, 20], telegram) == 60
    assert alerts.minimum_seconds([1] * 40, Limits(global_per_second=30)) == 1  # 30 at once, then 10


async def test_the_alert_benchmark_runs_end_to_end_in_a_tiny_mode() -> None:
    result = await alerts.run(alerts=24, groups=2, scale=40, progress=lambda _: None)

    assert result.in_order and result.too_many_requests == 0 and result.early_retries == 0
    assert result.minimum_s == 11 and result.elapsed_s >= result.minimum_s
    assert alerts.problems(result) == [] and "alerts 24 to 2 groups" in alerts.summary(result)


def test_the_command_line_runs_the_alerts_alone_or_not_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAIXIAO_BENCH_PG_URL", raising=False)
    monkeypatch.delenv("CAIXIAO_TEST_PG_URL", raising=False)

    only, without, default = parse(["--alerts-only"]), parse(["--no-alerts"]), parse([])

    assert only.alerts_only and not only.chat
    assert not without.alerts and default.alerts
