"""The digest benchmark in a tiny mode, so its code cannot rot."""

from __future__ import annotations

from bench.cli import parse, run_bench


async def test_the_digest_benchmark_runs_alone_on_a_small_dataset() -> None:
    options = parse(["--backend", "sqlite", "--digest-only", "--items", "300", "--moves", "3000", "--runs", "1", "--no-json"])
    options.quiet = True

    result = await run_bench(options)

    assert result["ok"], result["summary"]
    (report,) = result["backends"]
    assert report["digest"]["runs"] == 1 and report["digest"]["messages"] >= 2 and report["digest"]["low_stock"] > 0
    assert report["throughput"] == [] and report["queries"] == [] and report["imports"] is None
    [line] = result["summary"]
    assert line.startswith("sqlite digest ") and "goal < 2 s" in line
