"""Every message a person reads is rendered here: jinja2 templates (HTML, autoescaped) whose
words come from the zh/en catalogs. Values typed by people are escaped by construction."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.values import minor_units, round_money
from notifications.formats import clip, qty, signed_qty
from notifications.i18n import t, t_or

TEMPLATES = Path(__file__).parent / "templates"
TEXT_LIMIT = 4096  # Telegram's limit, counted on the text after entities are parsed
_TAG = re.compile(r"<[^>]+>")


def visible_length(markup: str) -> int:
    """What Telegram counts: the text with tags removed and entities decoded."""
    return len(html.unescape(_TAG.sub("", markup)))


def money(value: Decimal | None, currency: str = "CNY") -> str:
    """An amount in its currency's minor units (already rounded by the domain, half up)."""
    if value is None:
        return "—"
    places = minor_units(currency)
    text = f"{round_money(Decimal(value), currency):,.{places}f}"
    return f"{text} {currency}"


class Renderer:
    def __init__(self, timezone: tzinfo, templates: Path = TEMPLATES) -> None:
        self.timezone = timezone
        self.env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,  # templates ship with the code: no stat() of the file per message
        )
        self.env.filters.update(
            qty=qty, signed_qty=signed_qty, price=qty, money=money, clip=clip, local=self._local, day=self._day
        )

    def _local(self, value: datetime | None) -> str:
        return value.astimezone(self.timezone).strftime("%Y-%m-%d %H:%M") if value else "—"

    @staticmethod
    def _day(value: date | None) -> str:
        return value.isoformat() if value else "—"

    def render(self, name: str, lang: str, **context: Any) -> str:
        """One message's HTML; a message over Telegram's limit is a bug in its template."""
        template = self.env.get_template(name)
        text = template.render(_=partial(t, lang), _or=partial(t_or, lang), lang=lang, **context).strip()
        # Tags and entities only shorten what Telegram counts: most messages need no counting.
        if len(text) > TEXT_LIMIT and visible_length(text) > TEXT_LIMIT:
            raise ValueError(f"{name} rendered {visible_length(text)} characters; paginate it")
        return text

    def text(self, lang: str, key: str, **values: object) -> str:
        """A one-line message straight from the catalog, escaped for HTML parse mode."""
        return html.escape(t(lang, key, **values), quote=False)


def split_lines(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """The text in pieces of whole lines, each at most `limit` visible characters. The
    templates keep every tag within one line, so each piece is valid HTML on its own; a single
    line over the limit (none of ours) is cut at the limit as a last resort."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        n = visible_length(line)
        while n > limit:  # pragma: no cover - templates clip every value
            line, n = line[: limit - 1] + "…", limit
        if current and size + 1 + n > limit:
            pieces.append("\n".join(current).strip("\n"))
            current, size = [], 0
        size += n + (1 if current else 0)
        current.append(line)
    if current:
        pieces.append("\n".join(current).strip("\n"))
    return [p for p in pieces if p]
