"""The daily digest on the benchmark's company: `notifications.digest` read and rendered (every
query, the templates, the split into messages and the chart), timed a few times, median
reported. Goal: under 2 s on SQLite for 100,000 items and 1,000,000 ledger rows."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from notifications.digest import read_digest, render_digest, renderer
from storage.database import Database
from storage.synthetic import NOW, SHANGHAI, TODAY

GOAL_S = 2.0


@dataclass(frozen=True, slots=True)
class DigestTiming:
    median_s: float  # read + render, per run
    min_s: float
    max_s: float
    read_median_s: float  # the queries alone
    render_median_s: float  # templates, split and chart
    runs: int
    messages: int
    low_stock: int  # items below their reorder point (the largest list behind the digest)


async def run(db: Database, runs: int, progress: Callable[[str], None], lang: str = "zh") -> DigestTiming:
    render = renderer(SHANGHAI)

    async def once() -> tuple[float, float, int, int]:
        started = time.perf_counter()
        digest = await read_digest(db, TODAY, tz=SHANGHAI, currency="CNY", now=NOW)
        read = time.perf_counter()
        messages = render_digest(digest, lang, render, company="Bench Co")
        return read - started, time.perf_counter() - read, len(messages), digest.low_stock.total

    await once()  # warm the caches, the statement cache, the templates and the fonts
    reads, renders = [], []
    messages = low = 0
    for _ in range(max(runs, 1)):
        r, d, messages, low = await once()
        reads.append(r)
        renders.append(d)
    totals = [r + d for r, d in zip(reads, renders, strict=True)]
    timing = DigestTiming(
        statistics.median(totals),
        min(totals),
        max(totals),
        statistics.median(reads),
        statistics.median(renders),
        len(totals),
        messages,
        low,
    )
    progress(
        f"digest        {timing.median_s * 1000:8.1f} ms median of {timing.runs} "
        f"(read {timing.read_median_s * 1000:.0f} ms, render {timing.render_median_s * 1000:.0f} ms; {messages} messages)"
    )
    return timing


def summary(backend: str, d: DigestTiming) -> str:
    goal = f"; goal < {GOAL_S:.0f} s: {'ok' if d.median_s < GOAL_S else 'OVER GOAL'}" if backend == "sqlite" else ""
    return (
        f"{backend:6s} {'digest':12s} {d.median_s * 1000:.0f} ms  (median of {d.runs}: read {d.read_median_s * 1000:.0f} ms, "
        f"render {d.render_median_s * 1000:.0f} ms; {d.messages} messages, {d.low_stock:,} items low{goal})"
    )
