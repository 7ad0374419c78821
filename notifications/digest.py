"""The daily digest (and /report): read once, rendered per language into messages under
Telegram's limits, with the chart as a photo and "draft PO" buttons under the low-stock list.

`compose_digest` does both for one channel; `compose_digests` reads once and renders in each
language asked for (routing many channels). Rendering (the chart above all: matplotlib, a few
hundred milliseconds) runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import cache, partial
from typing import Any, Protocol

from domain.digest import AGE_LIMITS, WINDOW_DAYS, CriticalItem, Digest, Rate
from notifications.buttons import draft_po_data
from notifications.charts import ChartLabels, labels, render_chart
from notifications.formats import qty
from notifications.i18n import t, t_or
from notifications.messages import OutMessage
from notifications.render import TEXT_LIMIT, Renderer, split_lines, visible_length
from storage.database import Database
from storage.digest import load_digest

CAPTION_LIMIT = 1024
BUTTONS = 8  # "draft PO" buttons: the most critical items that have a default supplier


class Clock(Protocol):
    def now(self) -> datetime: ...


async def read_digest(db: Database, day: date, *, tz: tzinfo, currency: str, now: datetime) -> Digest:
    """The digest's figures for the company-local `day`, read at `now` in one snapshot."""
    async with db.reading() as conn:
        return await load_digest(conn, day, now, tz, currency)


async def compose_digest(
    db: Database, day: date, lang: str, *, tz: tzinfo, currency: str, now: datetime, company: str = ""
) -> list[OutMessage]:
    """The digest for one channel in its language: text messages (each under 4,096 characters,
    split on line boundaries; the low-stock one carries the "draft PO" buttons), then the chart
    as a photo whose caption is under 1,024 characters."""
    digest = await read_digest(db, day, tz=tz, currency=currency, now=now)
    return await asyncio.to_thread(render_digest, digest, lang, renderer(tz), company=company)


async def compose_digests(
    db: Database, day: date, langs: Sequence[str], *, tz: tzinfo, currency: str, now: datetime, company: str = ""
) -> dict[str, list[OutMessage]]:
    """`compose_digest` for every language in `langs`, read once (routing.RouteDeps.compose_digests)."""
    digest = await read_digest(db, day, tz=tz, currency=currency, now=now)
    render = renderer(tz)
    return {lang: await asyncio.to_thread(render_digest, digest, lang, render, company=company) for lang in dict.fromkeys(langs)}


@cache
def renderer(tz: tzinfo) -> Renderer:
    return Renderer(tz)


class DigestReport:
    """/report's digest for whoever asks, today in the company's zone (handlers.report.Digests)."""

    def __init__(self, db: Database, clock: Clock, *, tz: tzinfo, currency: str, company: str = "") -> None:
        self.db, self.clock, self.tz, self.currency, self.company = db, clock, tz, currency, company

    async def __call__(self, lang: str) -> list[OutMessage]:
        now = self.clock.now()
        day = now.astimezone(self.tz).date()
        return await compose_digest(self.db, day, lang, tz=self.tz, currency=self.currency, now=now, company=self.company)


# --- rendering --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    text: str
    markup: dict[str, Any] | None = None  # ends the message it lands in


def render_digest(digest: Digest, lang: str, render: Renderer, *, company: str = "") -> list[OutMessage]:
    context: dict[str, Any] = {
        "digest": digest,
        "k": digest.kpis,
        "company": company or "Caixiao",
        "window": WINDOW_DAYS,
        "dur": partial(duration, lang),
        "pct": partial(percent, lang),
        "cover": partial(cover, lang),
    }
    page = partial(_page, render, lang, context)
    blocks = [
        Block(page("summary.html")),
        Block(page("today.html")),
        Block(page("approvals.html", listing=digest.approvals)),
        Block(page("overdue.html")),
        Block(page("low_stock.html", listing=digest.low_stock), draft_buttons(digest, lang)),
    ]
    messages = [OutMessage(text, markup) for text, markup in pack(blocks)]
    caption = _page(render, lang, context, "caption.html")
    if visible_length(caption) > CAPTION_LIMIT:
        caption = split_lines(caption, CAPTION_LIMIT)[0]
    messages.append(OutMessage(caption, photo=chart(digest, lang)))
    return messages


def _page(render: Renderer, lang: str, context: dict[str, Any], name: str, **more: Any) -> str:
    # Renderer.render refuses text over the limit; a digest section may be longer and is split
    # below, on line boundaries, instead.
    template = render.env.get_template(f"digest/{name}")
    return template.render(_=partial(t, lang), _or=partial(t_or, lang), lang=lang, **context, **more).strip()


def draft_buttons(digest: Digest, lang: str) -> dict[str, Any] | None:
    """One "draft PO" button per critical item that has a default supplier, most critical first,
    as Bot API JSON (handlers.report answers the press)."""
    rows = [
        [{"text": t(lang, "digest.low.button", sku=i.sku, qty=qty(i.suggested_qty)), "callback_data": draft_po_data(i.sku)}]
        for i in digest.low_stock.rows
        if i.supplier and i.suggested_qty > 0
    ][:BUTTONS]
    return {"inline_keyboard": rows} if rows else None


def chart(digest: Digest, lang: str) -> bytes:
    def texts(language: str) -> ChartLabels:
        def w(key: str) -> str:
            return t(language, f"digest.chart.{key}")

        buckets = tuple(w(f"bucket_{k}") for k in range(len(AGE_LIMITS) + 1))
        return ChartLabels(
            w("cover_title"), w("cover_axis"), w("ages_title"), w("ages_axis"), buckets, w("no_demand"), w("empty")
        )

    cover_days = [(i.sku, i.days_of_cover) for i in digest.low_stock.rows]
    return render_chart(cover_days, digest.approval_ages, labels(texts(lang), texts("en")))


def pack(blocks: list[Block], limit: int = TEXT_LIMIT) -> list[tuple[str, dict[str, Any] | None]]:
    """Blocks joined into as few messages as fit under `limit` (visible characters), a blank
    line apart; a block too long for one message is split on line boundaries. A block with
    buttons ends its message, so the buttons sit under the list they belong to."""
    out: list[tuple[str, dict[str, Any] | None]] = []
    current = ""
    for block in blocks:
        for piece in split_lines(block.text, limit):
            joined = f"{current}\n\n{piece}" if current else piece
            if current and visible_length(joined) > limit:
                out.append((current, None))
                joined = piece
            current = joined
        if block.markup is not None:
            out.append((current, block.markup))
            current = ""
    if current:
        out.append((current, None))
    return out


# --- values in words --------------------------------------------------------------------------


def duration(lang: str, value: timedelta | None) -> str:
    if value is None:
        return t(lang, "digest.none")
    minutes = int(value.total_seconds() // 60)
    d, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    if d:
        return t(lang, "digest.duration_days", d=d, h=h)
    if h:
        return t(lang, "digest.duration_hours", h=h, m=m)
    return t(lang, "digest.duration_minutes", m=m)


def percent(lang: str, rate: Rate) -> str:
    value = rate.percent
    return t(lang, "digest.none") if value is None else t(lang, "digest.percent", value=f"{value:f}")


def cover(lang: str, item: CriticalItem) -> str:
    days = item.days_of_cover
    return t(lang, "digest.low.no_cover") if days is None else t(lang, "digest.days", n=f"{days:f}")
