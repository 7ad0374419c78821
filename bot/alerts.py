"""The alert pipeline beside the chat front end (ADR 0008): routing of the outbox, the paced
sender and the scheduler, started and stopped together. Only the bot layer can draw a card with
a viewer's buttons, so that drawing is handed to the router from here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date
from zoneinfo import ZoneInfo

from aiogram import Bot

from bot.bootstrap import App
from bot.delivery import AiogramTransport
from handlers.cards import order_card
from notifications.digest import compose_digests
from notifications.messages import OutMessage
from notifications.render import Renderer
from notifications.router import RouteDeps, route_pending
from notifications.scheduling import start_scheduler
from notifications.sender import sender_loop
from storage.bindings import apply_configured_bindings
from storage.reads import SqlReads

log = logging.getLogger("caixiao.alerts")
ROUTE_EVERY = 0.5  # seconds between looks at the outbox: an alert leaves within about this


def route_deps(app: App) -> RouteDeps:
    zone = ZoneInfo(app.settings.company.timezone)
    render = Renderer(zone)
    reads = SqlReads(app.db)

    async def draw_card(kind: str, ref: str, viewer_id: int | None, lang: str) -> OutMessage:
        viewer = await reads.user(viewer_id) if viewer_id is not None else None
        order = await (reads.po(ref) if kind == "p" else reads.so(ref))
        assert order is not None, ref
        card = await order_card(order, viewer, lang, reads, render)
        markup = card.markup.model_dump(mode="json", exclude_none=True) if card.markup else None
        return OutMessage(card.text, markup, card=(kind, ref))

    company = app.settings.company

    async def digests(day: date, langs: Sequence[str]) -> dict[str, list[OutMessage]]:
        # Read once for every language the digest channels speak, then render each.
        return await compose_digests(
            app.db, day, langs, tz=zone, currency=company.currency, now=app.bus.env.clock.now(), company=company.name
        )

    return RouteDeps(render=render, draw_card=draw_card, compose_digests=digests, language=company.language)


async def route_loop(app: App, deps: RouteDeps, stop: asyncio.Event, routed: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            if await route_pending(app.db, deps, app.bus.env.clock.now()):
                routed.set()  # the sender has something new
        except Exception:  # a passing database error: try again on the next round
            log.exception("routing round failed")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(ROUTE_EVERY):
                await stop.wait()


async def supervised(name: str, run: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run a loop until `stop`; if it dies of a bug, say so loudly and start it again (with a
    growing pause) rather than leave alerts silently stopped."""
    pause = 1.0
    while not stop.is_set():
        try:
            await run()
        except Exception:
            log.exception("%s died; restarting in %.0f s", name, pause)
        else:
            if stop.is_set():
                return
            log.error("%s returned before shutdown; restarting in %.0f s", name, pause)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(pause):
                await stop.wait()
        pause = min(pause * 2, 60.0)


@asynccontextmanager
async def alerts_running(app: App, bot: Bot) -> AsyncIterator[None]:
    """Route, send and schedule until the block ends. With several instances on PostgreSQL
    each routes and sends (SKIP LOCKED shares the work) and one leads the scheduler."""
    await apply_configured_bindings(app.db, app.settings.alerts)
    stop, routed = asyncio.Event(), asyncio.Event()
    deps, transport = route_deps(app), AiogramTransport(bot)
    scheduler = await start_scheduler(app.db, app.settings, app.bus.env.clock.now)
    tasks = [
        asyncio.create_task(supervised("router", lambda: route_loop(app, deps, stop, routed), stop), name="alerts-router"),
        asyncio.create_task(
            supervised("sender", lambda: sender_loop(app.db, transport, app.settings.sender, stop=stop, wake=routed), stop),
            name="alerts-sender",
        ),
    ]
    try:
        yield
    finally:
        stop.set()
        try:
            await scheduler.stop()
        finally:
            done, pending = await asyncio.wait(tasks, timeout=15)
            for task in pending:  # a send stuck on the network: the lease brings it back later
                task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error("%s ended with %r", task.get_name(), task.exception())
