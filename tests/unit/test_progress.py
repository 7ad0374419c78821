"""Progress on stderr: often at a terminal, seldom into a pipe, and always one summary line."""

from __future__ import annotations

import io

from bot.progress import LOG_EVERY_S, TTY_EVERY_S, Progress


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run(tty: bool, lang: str = "en") -> list[str]:
    stream, clock = Stream(tty), Clock()
    progress = Progress(lang, "import items", stream=stream, clock=clock)
    progress.note("transfer.progress_read", file="items.csv")
    for done in range(2_000, 100_001, 2_000):  # a chunk every 0.25 s: 12.5 s in all
        clock.now += 0.25
        progress(done, 100_000)
    progress.summary(100_000)
    return stream.getvalue().splitlines()


def test_a_terminal_gets_stage_notes_and_a_line_at_most_every_half_second() -> None:
    lines = run(tty=True)

    assert TTY_EVERY_S == 0.5
    assert lines[0] == "Reading items.csv…"
    assert lines[1] == "import items: 4,000 / 100,000 rows (4 %), 8,000 rows/s"
    assert len(lines) == 1 + 25 + 1
    assert lines[-1] == "import items: 100,000 rows in 12.5 s (8,000 rows/s)"


def test_a_pipe_gets_a_line_every_ten_seconds_and_the_summary() -> None:
    lines = run(tty=False)

    assert LOG_EVERY_S == 10.0
    assert lines == [
        "import items: 80,000 / 100,000 rows (80 %), 8,000 rows/s",
        "import items: 100,000 rows in 12.5 s (8,000 rows/s)",
    ]


def test_the_summary_speaks_chinese_too_and_rates_are_per_stage() -> None:
    stream, clock = Stream(True), Clock()
    progress = Progress("zh", "seed", stream=stream, clock=clock)
    clock.now += 1
    progress(10_000, 10_000, "主数据")
    clock.now += 2
    progress(100_000, 100_000, "库存流水")  # the ledger's rate counts from where master data ended

    lines = stream.getvalue().splitlines()
    assert lines == [
        "seed 主数据：10,000 / 10,000 行（100%），每秒 10,000 行",
        "seed 库存流水：100,000 / 100,000 行（100%），每秒 50,000 行",
    ]
    assert progress.summary(110_000) == "seed：110,000 行，用时 3.0 秒（每秒 36,667 行）"
