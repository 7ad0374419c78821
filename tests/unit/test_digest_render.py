"""The digest's pure parts: KPI rules, rendering and splitting under Telegram's limits, the chart,
and the "draft PO" payload. No database."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from matplotlib._pylab_helpers import Gcf

from domain.digest import (
    CriticalItem,
    CycleTime,
    Digest,
    Kpis,
    Listing,
    Movement,
    MovementTotals,
    OrderCounts,
    PendingApproval,
    Rate,
    age_bucket,
    critical_order,
    cycle_time,
    days_of_cover,
    median,
)
from domain.readmodels import OverdueOrder
from notifications.buttons import draft_po_data, draft_po_sku
from notifications.charts import ChartLabels, render_chart
from notifications.digest import Block, chart, pack, render_digest, split_lines
from notifications.render import Renderer, visible_length
from tests.chat.harness import check_html

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
D = Decimal


def _item(k: int, available: str, shipped: str, *, supplier: str | None = "ACME") -> CriticalItem:
    return CriticalItem(
        k,
        f"SKU-{k:04d}",
        "Very long item name <with> & symbols " * 4,
        "pcs",
        D(available),
        D(available),
        D(50),
        D(60),
        supplier,
        D(shipped),
    )


def big_digest(rows: int = 30) -> Digest:
    overdue = tuple(
        OverdueOrder(f"PO-2026-{k:05d}", f"SUPPLIER-{k:03d}", "approved", date(2026, 11, 1), 22, D("1234.5")) for k in range(rows)
    )
    return Digest(
        day=date(2026, 11, 23),
        now=NOW,
        currency="CNY",
        receipts=Listing(tuple(Movement(f"PO-2026-{k:05d}", "SUPPLIER-LONG-CODE", 3, D(120)) for k in range(rows)), rows * 4),
        receipt_totals=MovementTotals(rows * 4, rows * 12, D(480 * rows)),
        shipments=Listing(tuple(Movement(f"SO-2026-{k:05d}", "CUSTOMER-LONG-CODE", 2, D(7)) for k in range(rows)), rows),
        shipment_totals=MovementTotals(rows, rows * 2, D(7 * rows)),
        approvals=Listing(
            tuple(
                PendingApproval(f"PO-2026-{k:05d}", "SUPPLIER", D("123456.78"), "CNY", NOW - timedelta(hours=k * 7), 1, 2)
                for k in range(rows)
            ),
            rows + 5,
        ),
        approval_ages=(3, 4, 5, 23),
        overdue_in=Listing(overdue, rows + 100),
        overdue_out=Listing(overdue, rows),
        low_stock=Listing(tuple(_item(k, str(k), str(k * 3)) for k in range(1, rows + 1)), rows + 7),
        kpis=Kpis(
            pos=OrderCounts(10, 35, 130),
            sos=OrderCounts(5, 2, 30),
            submit_to_approve=CycleTime(timedelta(hours=30, minutes=5), 12),
            approve_to_receipt=CycleTime(timedelta(days=6, hours=3), 8),
            on_time=Rate(D(7), D(9)),
            fill=Rate(D("95.5"), D(100)),
            stock_outs=4,
            inventory_value=D("1234567.89"),
            unvalued_items=2,
        ),
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_long_digest_is_split_on_line_boundaries_under_the_limits(lang: str) -> None:
    digest = big_digest()

    messages = render_digest(digest, lang, Renderer(ZoneInfo("Asia/Shanghai")), company="Acme")

    *texts, photo = messages
    assert len(texts) >= 4
    for m in texts:
        check_html(m.text)  # no tag cut in half
        assert 0 < visible_length(m.text) <= 4096
    assert photo.photo is not None and visible_length(photo.text) <= 1024
    lines = [line for m in texts for line in m.text.split("\n") if line]
    for k in range(30):  # every row shown, each once, whole
        assert sum(f"SKU-{k + 1:04d} " in line for line in lines) == 1
    assert sum(f"PO-2026-{k:05d} · SUPPLIER-LONG-CODE" in line for line in lines for k in range(30)) == 30
    assert "… and 7 more" in "\n".join(lines) or "另有 7 条" in "\n".join(lines)
    [with_buttons] = [m for m in texts if m.markup is not None]
    assert with_buttons is texts[-1]  # the buttons sit under the low-stock list, which comes last
    assert len(with_buttons.markup["inline_keyboard"]) == 8  # type: ignore[index]


def test_split_lines_keeps_lines_whole_and_in_order() -> None:
    text = "\n".join(f"<b>line {k}</b> " + "x" * (k % 90) for k in range(1000))

    pieces = split_lines(text, 4096)

    assert len(pieces) > 5 and all(visible_length(p) <= 4096 for p in pieces)
    assert "\n".join(pieces) == text


def test_a_block_with_buttons_ends_its_message() -> None:
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": "dpo:A-1"}]]}

    out = pack([Block("one"), Block("two", markup), Block("three")])

    assert out == [("one\n\ntwo", markup), ("three", None)]


def test_the_chart_is_a_png_drawn_quickly_without_pyplot_state() -> None:
    digest = big_digest()
    chart(digest, "zh")  # warm: fonts and the first figure

    spent = []
    for _ in range(3):  # the best of three: other processes share the machine
        started = time.perf_counter()
        png = chart(digest, "en")
        spent.append(time.perf_counter() - started)

    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    assert min(spent) < 0.5
    assert Gcf.get_num_fig_managers() == 0
    words = ChartLabels("cover", "days", "ages", "age", ("<1", "1-3", "3-7", "7+"), "no sales", "nothing low")
    assert render_chart([], [0, 0, 0, 0], words).startswith(b"\x89PNG")


def test_draft_po_payload_round_trips_and_refuses_anything_else() -> None:
    assert draft_po_sku(draft_po_data("A-1")) == "A-1"
    assert len(draft_po_data("X" * 32).encode()) <= 64
    for forged in ["dpo:", "dpo:a b", "dpo:A-1\n", "o:p:PO-1:1:ok", "dpo:" + "X" * 33, ""]:
        assert draft_po_sku(forged) is None
    with pytest.raises(ValueError):
        draft_po_data("not a sku")


def test_kpi_rules() -> None:
    assert days_of_cover(D(0), D(30)) == 0 and days_of_cover(D(10), D(0)) is None
    assert days_of_cover(D(10), D(60)) == D("5.0")
    assert median([timedelta(hours=h) for h in (5, 1, 3)]) == timedelta(hours=3)
    assert median([timedelta(hours=h) for h in (1, 2)]) == timedelta(hours=1, minutes=30) and median([]) is None
    assert cycle_time([timedelta(hours=-1), timedelta(hours=2)]) == CycleTime(timedelta(hours=2), 1)
    assert [age_bucket(timedelta(hours=h)) for h in (0, 23, 24, 71, 72, 167, 168, 1000)] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert Rate(D(1), D(3)).percent == D("33.3") and Rate(D(0), D(0)).percent is None
    items = [_item(1, "5", "0"), _item(2, "0", "0"), _item(3, "10", "300"), _item(4, "10", "30")]
    assert [i.item_id for i in sorted(items, key=critical_order)] == [2, 3, 4, 1]
