"""The digest's chart: days of stock cover of the most critical items, and POs pending approval
by age. PNG bytes drawn headless (the Agg canvas on a Figure of our own: no pyplot, so no global
figure state is shared between calls or threads). Callers draw in worker threads
(notifications.digest); matplotlib does not promise thread safety, so one chart is drawn at a
time."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

# matplotlib is imported inside the functions, when the first chart is drawn: it would add half
# a second to every start of the bot and the command line.

# Fonts that draw Chinese, tried in this order when the labels need them; matplotlib falls back
# along the list per glyph. Without any of them the English labels are used (see `labels`).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
MAX_BARS = 10
_DRAWING = threading.Lock()  # one chart (and font lookup) at a time, whichever thread asks


@dataclass(frozen=True, slots=True)
class ChartLabels:
    cover_title: str
    cover_axis: str
    ages_title: str
    ages_axis: str
    buckets: tuple[str, ...]
    no_demand: str
    empty: str


@cache
def _cjk_fonts() -> tuple[str, ...]:
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(name for name in CJK_FONTS if name in known)


@cache
def _drawable(text: str) -> bool:
    """Whether the default sans-serif font (or an installed CJK font) has every character."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    families = [*_cjk_fonts(), "DejaVu Sans"]
    fonts = [FT2Font(font_manager.findfont(font_manager.FontProperties(family=f), fallback_to_default=True)) for f in families]
    return all(ch.isspace() or any(font.get_char_index(ord(ch)) for font in fonts) for ch in text)


def labels(wanted: ChartLabels, fallback: ChartLabels) -> ChartLabels:
    """The wanted (e.g. Chinese) labels when this machine has fonts for them, else the fallback:
    a chart with boxes for characters helps nobody."""
    texts = [wanted.cover_title, wanted.cover_axis, wanted.ages_title, wanted.ages_axis, wanted.no_demand, wanted.empty]
    with _DRAWING:
        return wanted if all(_drawable(t) for t in [*texts, *wanted.buckets]) else fallback


def render_chart(cover: Sequence[tuple[str, Decimal | None]], ages: Sequence[int], text: ChartLabels) -> bytes:
    """cover: (SKU, days of cover or None when nothing shipped lately), most critical first;
    ages: pending approvals per age bucket (as many as text.buckets)."""
    with _DRAWING:
        return _render(cover, ages, text)


def _render(cover: Sequence[tuple[str, Decimal | None]], ages: Sequence[int], text: ChartLabels) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(8, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))
    family = [*_cjk_fonts(), "DejaVu Sans"]

    shown = list(cover[:MAX_BARS])
    left.set_title(text.cover_title, fontsize=11, fontfamily=family)
    left.set_xlabel(text.cover_axis, fontfamily=family)
    if shown:
        names = [sku for sku, _ in shown][::-1]  # most critical on top
        days = [float(d) if d is not None else 0.0 for _, d in shown][::-1]  # no demand: no bar, a note
        colours = ["#c0392b" if d is not None and d < 7 else "#e67e22" if d is not None else "#95a5a6" for _, d in shown][::-1]
        bars = left.barh(names, days, color=colours)
        notes = [f"{d:g}" if d is not None else text.no_demand for _, d in shown][::-1]
        left.bar_label(bars, labels=notes, padding=3, fontsize=8, fontfamily=family)
        left.set_xlim(0, max(days) * 1.25 + 1)
        left.tick_params(axis="y", labelsize=8)
    else:
        left.text(0.5, 0.5, text.empty, ha="center", va="center", transform=left.transAxes, fontfamily=family)
        left.set_yticks([])

    right.set_title(text.ages_title, fontsize=11, fontfamily=family)
    right.set_xlabel(text.ages_axis, fontfamily=family)
    counts = list(ages)
    bars = right.bar(list(text.buckets), counts, color=["#27ae60", "#f1c40f", "#e67e22", "#c0392b"][: len(counts)])
    right.bar_label(bars, padding=2, fontsize=8)
    right.set_ylim(0, max([*counts, 1]) * 1.25)
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    for label in right.get_xticklabels():
        label.set_fontfamily(family)

    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
