"""The alert loops are supervised: a loop that dies of a bug is reported and started again,
and a stop ends it for good."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.alerts import supervised


async def test_a_loop_that_dies_is_logged_and_restarted_until_stop(caplog: pytest.LogCaptureFixture) -> None:
    stop, again, runs = asyncio.Event(), asyncio.Event(), []

    async def loop() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("a bug")
        again.set()
        await stop.wait()

    task = asyncio.create_task(supervised("router", loop, stop))
    await asyncio.wait_for(again.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(runs) == 2
    assert any("router died" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


async def test_a_stopped_loop_is_not_restarted() -> None:
    stop, runs = asyncio.Event(), []

    async def loop() -> None:
        runs.append(1)
        stop.set()

    await asyncio.wait_for(supervised("sender", loop, stop), 5)
    assert runs == [1]
