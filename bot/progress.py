"""Progress for long command-line work (import, export, seed, backup): lines on stderr, then a
one-line summary. stdout stays for results, so scripts can read it undisturbed.

At a terminal a progress line appears at most every half second; when stderr is a pipe or a log
file, one every 10 seconds at most (a cron job's mail stays short). The summary always appears.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from bot.i18n import t

TTY_EVERY_S = 0.5
LOG_EVERY_S = 10.0


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


class Progress:
    def __init__(
        self,
        lang: str,
        what: str,
        *,
        stream: TextIO | None = None,
        every_s: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.lang, self.what, self.clock = lang, what, clock
        self.stream = stream if stream is not None else sys.stderr
        self.tty = _is_tty(self.stream)
        self.every_s = every_s if every_s is not None else (TTY_EVERY_S if self.tty else LOG_EVERY_S)
        self.started = clock()
        self._last = self.started
        self._stage, self._stage_started, self._prev_call = "", self.started, self.started

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def _say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def note(self, key: str, **values: object) -> None:
        """A stage message (reading the file, applying it...): for a person at a terminal only."""
        if self.tty:
            self._say(t(self.lang, key, **values))

    def __call__(self, done: int, total: int | None = None, stage: str = "") -> None:
        """Rows done so far in this stage (of total, when known); printed when the interval has passed."""
        now = self.clock()
        if stage != self._stage:  # rates are per stage (seed: master data, ledger, orders...)
            self._stage, self._stage_started = stage, self._prev_call
        self._prev_call = now
        if now - self._last < self.every_s:
            return
        self._last = now
        what = f"{self.what} {stage}".strip()
        rate = f"{done / max(now - self._stage_started, 1e-9):,.0f}"
        if total:
            percent = f"{100 * done / total:.0f}"
            values = {"done": f"{done:,}", "total": f"{total:,}", "percent": percent, "rate": rate}
            self._say(t(self.lang, "progress.rows_of", what=what, **values))
        else:
            self._say(t(self.lang, "progress.rows", what=what, done=f"{done:,}", rate=rate))

    def summary(self, rows: int) -> str:
        """The closing line: rows, seconds and rows per second."""
        seconds = self.elapsed
        line = t(
            self.lang,
            "progress.summary",
            what=self.what,
            rows=f"{rows:,}",
            seconds=f"{seconds:.1f}",
            rate=f"{rows / max(seconds, 1e-9):,.0f}",
        )
        self._say(line)
        return line

    def summary_bytes(self, size: int) -> str:
        seconds = self.elapsed
        mib = size / 1024 / 1024
        line = t(
            self.lang,
            "progress.summary_bytes",
            what=self.what,
            size=f"{mib:,.1f}",
            seconds=f"{seconds:.1f}",
            rate=f"{mib / max(seconds, 1e-9):,.1f}",
        )
        self._say(line)
        return line
