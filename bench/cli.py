"""`python -m bench` (or `make bench`): build a big company, time the read side, race the Bus
against hand-written transactions, print one summary line per metric and save JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import alerts, chat, digest, importing, queries, throughput
from bench.backends import scratch_database
from storage.checks import ledger_drift
from storage.database import Database
from storage.synthetic import Spec, build

RESULTS = Path(__file__).parent / "results"
RATIO_GOAL = 0.7  # Bus throughput at least 0.7× the hand-written floor
SWEEP_GOAL_S = 1.0  # low-stock sweep and overdue queries under 1 s on SQLite


@dataclass
class Options:
    backends: list[str]
    items: int = 100_000
    moves: int = 1_000_000
    ops: int = 500
    runs: int = 5
    pg_url: str | None = None
    out: Path | None = RESULTS
    quiet: bool = False
    import_rows: int = 100_000  # 0: no import benchmark
    import_only: bool = False
    chat: bool = True
    digest: bool = True  # the daily digest on the read-side dataset
    digest_only: bool = False
    alerts: bool = False  # alert delivery through the pacer to the emulator (on from the command line)
    alerts_only: bool = False


@dataclass
class BackendReport:
    backend: str
    server: str
    counts: dict[str, int] = field(default_factory=dict)
    build_s: float = 0.0
    queries: list[queries.Timing] = field(default_factory=list)
    throughput: list[throughput.Result] = field(default_factory=list)
    ledger_check_s: float = 0.0
    problems: list[str] = field(default_factory=list)
    imports: importing.ImportTiming | None = None
    digest: digest.DigestTiming | None = None


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--backend", choices=["auto", "sqlite", "pg", "both"], default="auto",
                        help="auto (default): SQLite, and PostgreSQL too when a URL is configured")  # fmt: skip
    parser.add_argument("--items", type=int, help="items in the dataset (default 100,000)")
    parser.add_argument("--moves", type=int, help="ledger rows in the dataset (default 1,000,000)")
    parser.add_argument("--ops", type=int, help="timed operations per kind and side (default 500)")
    parser.add_argument("--runs", type=int, help="timed runs per query, median reported (default 5)")
    parser.add_argument("--import-rows", type=int, help="rows in the import benchmark's CSV (default 100,000; 0 skips it)")
    parser.add_argument("--import-only", action="store_true", help="only the import benchmark (no dataset, queries or ops)")
    parser.add_argument("--quick", action="store_true", help="10,000 items, 100,000 moves, 200 ops, 3 runs, 20,000 import rows")
    parser.add_argument("--pg-url", default=os.environ.get("CAIXIAO_BENCH_PG_URL") or os.environ.get("CAIXIAO_TEST_PG_URL"),
                        help="postgresql+asyncpg://... (default: $CAIXIAO_BENCH_PG_URL or $CAIXIAO_TEST_PG_URL)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the JSON results (default bench/results)")
    parser.add_argument("--no-json", action="store_true", help="do not write a results file")
    parser.add_argument("--no-chat", action="store_true", help="skip the chat benchmarks (/stock rate, round trip)")
    parser.add_argument("--digest-only", action="store_true", help="only the dataset and the daily digest (no ops, import, chat)")
    parser.add_argument("--no-digest", action="store_true", help="skip the daily digest timing")
    parser.add_argument("--alerts-only", action="store_true", help="only alert delivery to groups through the emulator (~15 s)")
    parser.add_argument("--no-alerts", action="store_true", help="skip the alert delivery benchmark")
    args = parser.parse_args(argv)
    if args.backend == "auto":
        backends = ["sqlite", "pg"] if args.pg_url else ["sqlite"]
    else:
        backends = ["sqlite", "pg"] if args.backend == "both" else [args.backend]
    if "pg" in backends and not args.pg_url:
        parser.error("PostgreSQL needs --pg-url or CAIXIAO_BENCH_PG_URL")
    quick = Options(backends, items=10_000, moves=100_000, ops=200, runs=3, import_rows=20_000)
    base = quick if args.quick else Options(backends)
    return Options(
        backends,
        items=args.items or base.items,
        moves=args.moves if args.moves is not None else base.moves,
        ops=args.ops or base.ops,
        runs=args.runs or base.runs,
        pg_url=args.pg_url,
        out=None if args.no_json else args.out,
        import_rows=args.import_rows if args.import_rows is not None else base.import_rows,
        import_only=args.import_only,
        chat=not args.no_chat and not args.digest_only and not args.alerts_only,
        digest=not args.no_digest,
        digest_only=args.digest_only,
        alerts=not args.no_alerts and not args.import_only and not args.digest_only,
        alerts_only=args.alerts_only,
    )


class Clock:
    def __init__(self, quiet: bool) -> None:
        self.start, self.quiet = time.perf_counter(), quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.start:7.1f}s] {message}", flush=True)


def _build_progress(backend: str, say: Clock) -> Callable[[str, int, int], None]:
    """One line per finished stage of the dataset, and every 200,000 ledger rows."""

    def report(stage: str, done: int, total: int) -> None:
        if done == total or (stage == "ledger" and done % 200_000 == 0):
            say(f"{backend}: {stage}: {done:,} / {total:,} rows")

    return report


async def _server(db: Database) -> str:
    async with db.reading() as conn:
        return str(await conn.scalar(sa.text("select sqlite_version()" if db.is_sqlite else "show server_version")))


async def run_import(backend: str, options: Options, say: Clock, report: BackendReport) -> None:
    """In a scratch database of its own: the read-side dataset would only be in the way."""
    async with scratch_database(backend, options.pg_url) as db:
        if not report.server:
            report.server = await _server(db)
        say(f"{backend}: import benchmark, {options.import_rows:,} item rows")
        with tempfile.TemporaryDirectory(prefix="caixiao-import-") as tmp:
            timing, problems = await importing.run(
                db, throughput.bus_for(db), options.import_rows, Path(tmp), lambda m: say(f"{backend}: {m}")
            )
    report.imports = timing
    report.problems += problems


async def run_backend(backend: str, options: Options, say: Clock) -> BackendReport:
    if options.import_only:
        report = BackendReport(backend, "")
        await run_import(backend, options, say, report)
        return report
    report = await run_main(backend, options, say)
    if options.import_rows and not options.digest_only:
        await run_import(backend, options, say, report)
    return report


async def run_main(backend: str, options: Options, say: Clock) -> BackendReport:
    spec = Spec.scaled(options.items, options.moves)
    async with scratch_database(backend, options.pg_url) as db:
        server = await _server(db)
        say(f"{backend} {server}: building {spec.items:,} items, {spec.moves:,} ledger rows, {spec.pos:,} POs, {spec.sos:,} SOs")
        started = time.perf_counter()
        data = await build(db, spec, _build_progress(backend, say))
        build_s = time.perf_counter() - started
        say(f"{backend}: dataset built in {build_s:.1f} s; timing the read side")
        timings = [] if options.digest_only else await queries.run(db, options.runs, lambda m: say(f"{backend}: {m}"))
        digest_timing = await digest.run(db, options.runs, lambda m: say(f"{backend}: {m}")) if options.digest else None
        if options.digest_only:
            return BackendReport(backend, server, dict(data.counts), build_s, timings, digest=digest_timing)
        warmup = max(min(20, options.ops // 5), 2)
        say(f"{backend}: preparing {options.ops + warmup} orders per operation and side")
        numbers = await throughput.prepare(db, data, options.ops + warmup)
        results = await throughput.run(
            db, numbers, warmup=warmup, block=max(min(25, options.ops // 4), 1), progress=lambda m: say(f"{backend}: {m}")
        )
        problems = await throughput.same_outcome(db, numbers)
        started = time.perf_counter()
        async with db.reading() as conn:
            drift = await ledger_drift(conn)
        check_s = time.perf_counter() - started
        if drift:
            problems.append(f"{len(drift)} balances disagree with the ledger, e.g. {drift[0]}")
        say(f"{backend}: ledger check {'found drift' if drift else 'clean'} in {check_s:.1f} s")
        counts = dict(data.counts)
        return BackendReport(backend, server, counts, build_s, timings, results, check_s, problems, digest=digest_timing)


def summary(report: BackendReport) -> list[str]:
    lines = []
    if report.imports is not None:
        i = report.imports
        goal = ""
        if report.backend == "sqlite":
            verdict = "ok" if i.ours_rows_per_s >= importing.GOAL_ROWS_PER_S else "BELOW GOAL"
            goal = f"; goal >= {importing.GOAL_ROWS_PER_S:,.0f} rows/s: {verdict}"
        lines.append(
            f"{report.backend:6s} {'import':12s} ratio {i.ratio:.2f}  (ours {i.ours_rows_per_s:,.0f} rows/s, "
            f"floor {i.floor_rows_per_s:,.0f} rows/s, n={i.rows:,}; read {i.read_s:.1f} s, validate {i.validate_s:.1f} s, "
            f"apply {i.apply_s:.1f} s; re-import {i.reimport_rows_per_s:,.0f} rows/s{goal})"
        )
    for r in report.throughput:
        verdict = "ok" if r.ratio >= RATIO_GOAL else "BELOW GOAL"
        lines.append(
            f"{report.backend:6s} {r.op:12s} ratio {r.ratio:.2f}  (bus {r.bus_ops_per_s:.0f} ops/s, "
            f"floor {r.floor_ops_per_s:.0f} ops/s, n={r.n}, blocks {r.ratio_min:.2f}..{r.ratio_max:.2f}; "
            f"goal >= {RATIO_GOAL}: {verdict})"
        )
    for t in report.queries:
        goal = ""
        if t.name in queries.SWEEPS and report.backend == "sqlite":
            goal = f"; goal < {SWEEP_GOAL_S:.0f} s: {'ok' if t.median_s < SWEEP_GOAL_S else 'OVER GOAL'}"
        lines.append(f"{report.backend:6s} {t.name:12s} {t.median_s * 1000:.0f} ms  (median of {t.runs}, {t.rows:,} rows{goal})")
    if report.digest is not None:
        lines.append(digest.summary(report.backend, report.digest))
    lines += [f"{report.backend:6s} PROBLEM: {p}" for p in report.problems]
    return lines


async def run_bench(options: Options) -> dict[str, Any]:
    say = Clock(options.quiet)
    reports = [] if options.alerts_only else [await run_backend(backend, options, say) for backend in options.backends]
    lines = [line for r in reports for line in summary(r)]
    chat_results: dict[str, Any] | None = None
    if options.chat and not options.import_only:
        say("chat: /stock through the dispatcher, and the round trip of 50 users through the emulator")
        with tempfile.TemporaryDirectory(prefix="caixiao-chat-") as tmp:
            chat_results, chat_lines = await chat.run(Path(tmp), quick=options.items < 100_000)
        lines += chat_lines
    alerts_result = None
    if options.alerts or options.alerts_only:
        alerts_result = await alerts.run(progress=say)
        lines.append(alerts.summary(alerts_result))
    result: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "options": {k: v for k, v in asdict(options).items() if k not in ("pg_url", "out", "quiet")},
        "machine": {
            "python": platform.python_version(),
            "sqlite_library": sqlite3.sqlite_version,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "goals": {
            "ratio_at_least": RATIO_GOAL,
            "sqlite_sweep_under_s": SWEEP_GOAL_S,
            "sqlite_import_rows_per_s_at_least": importing.GOAL_ROWS_PER_S,
            "sqlite_digest_under_s": digest.GOAL_S,
        },
        "backends": [asdict(r) for r in reports],
        "chat": chat_results,
        "alerts": asdict(alerts_result) | {"ratio": alerts_result.ratio} if alerts_result else None,
        "summary": lines,
        "ok": not any(r.problems for r in reports) and not (alerts_result and alerts.problems(alerts_result)),
    }
    if options.out is not None:
        options.out.mkdir(parents=True, exist_ok=True)
        path = options.out / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%S}-{'-'.join(options.backends)}.json"
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        result["path"] = str(path)
    if not options.quiet:
        print("\n".join(["", "Summary", *lines]))
        if options.out is not None:
            print(f"Results written to {result['path']}")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    result = asyncio.run(run_bench(parse(argv)))
    return 0 if result["ok"] else 1
