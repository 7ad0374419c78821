"""Clocks for the sender: stored times (`now`), pacing (`monotonic`) and waiting (`sleep`) must
agree, so a test or a benchmark can run all three faster than real time together."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class SenderClock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware: what is stored (next_attempt_at, sent_at)."""
        ...

    def monotonic(self) -> float:
        """Seconds that never jump back: what the pacer counts windows in."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Time that runs `scale` times faster than real time (for the emulator and benchmarks: give
    the emulator's flood limiter `monotonic` too, so both sides count the same seconds)."""

    def __init__(self, scale: float, start: datetime | None = None) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self._t0 = time.monotonic()
        self._start = start or datetime.now(UTC)

    def monotonic(self) -> float:
        return (time.monotonic() - self._t0) * self.scale

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self.monotonic())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)
