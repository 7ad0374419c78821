"""The benchmark in a tiny mode, so its code cannot rot: SQLite only, a few hundred items."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.cli import Options, parse, run_bench


async def test_the_benchmark_runs_end_to_end_in_a_tiny_mode(tmp_path: Path) -> None:
    options = Options(
        ["sqlite"], items=300, moves=3000, ops=10, runs=1, out=tmp_path, quiet=True, import_rows=1000, chat=False, digest=False
    )  # the digest has its own (test_bench_digest.py): its first chart loads the fonts, seconds under load

    started = time.perf_counter()
    result = await run_bench(options)
    elapsed = time.perf_counter() - started

    assert result["ok"], result["summary"]
    (report,) = result["backends"]
    assert report["counts"]["stock_moves"] == 3000
    assert {t["op"] for t in report["throughput"]} == {"approve", "receive", "ship"}
    assert all(t["ratio"] > 0 and t["n"] == 10 for t in report["throughput"])
    assert {"low_stock", "overdue_pos", "overdue_sos"} <= {q["name"] for q in report["queries"]}
    assert next(q for q in report["queries"] if q["name"] == "low_stock")["rows"] > 0
    assert Path(result["path"]).parent == tmp_path
    imports = report["imports"]
    assert imports["rows"] == 1000 and imports["updated"] == 100 and imports["unchanged_again"] == 1000
    assert imports["ours_rows_per_s"] > 0 and imports["floor_rows_per_s"] > 0 and imports["ratio"] > 0
    assert any(line.startswith("sqlite import ") for line in result["summary"])
    assert elapsed < 5


async def test_the_import_benchmark_runs_alone_through_the_real_csv_path(tmp_path: Path) -> None:
    options = parse(["--backend", "sqlite", "--import-only", "--import-rows", "500", "--out", str(tmp_path)])
    options.quiet = True

    result = await run_bench(options)

    assert result["ok"], result["summary"]
    (report,) = result["backends"]
    assert report["imports"]["rows"] == 500 and report["throughput"] == [] and report["queries"] == []
    assert report["server"]
    [line] = result["summary"]
    assert "ours" in line and "floor" in line and "goal >= 5,000 rows/s" in line


def test_the_command_line_scales_the_run_and_refuses_postgresql_without_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAIXIAO_BENCH_PG_URL", raising=False)
    monkeypatch.delenv("CAIXIAO_TEST_PG_URL", raising=False)

    quick = parse(["--quick", "--no-json"])
    custom = parse(["--backend", "sqlite", "--items", "500", "--moves", "0", "--ops", "7"])
    with pytest.raises(SystemExit) as refused:
        parse(["--backend", "pg"])

    assert (quick.backends, quick.items, quick.moves, quick.ops, quick.out) == (["sqlite"], 10_000, 100_000, 200, None)
    assert (quick.import_rows, custom.import_rows, parse(["--import-rows", "0"]).import_rows) == (20_000, 100_000, 0)
    assert (custom.items, custom.moves, custom.ops, custom.backends) == (500, 0, 7, ["sqlite"])
    assert refused.value.code == 2


async def test_the_chat_benchmarks_run_small(tmp_path: Path) -> None:
    from bench import chat

    results, lines = await chat.run(tmp_path, quick=True, users=5)

    assert results["stock"]["ours_per_s"] > 0 and results["stock"]["floor_per_s"] > 0
    assert results["roundtrip"]["ours_p95_ms"] > 0 and results["roundtrip"]["echo_p95_ms"] > 0
    assert len(lines) == 2 and "round trip, 5 users" in lines[1]
