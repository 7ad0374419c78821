"""Every alert text renders in zh and en from the catalogs, as valid Telegram HTML, with what
people typed escaped (golden checks of the words that matter, not of whole messages)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain import events as ev
from domain.alerts import KIND_OF_EVENT, AlertKind
from notifications.i18n import t
from notifications.render import Renderer, visible_length
from notifications.router import low_stock_messages
from tests.chat.harness import check_html

AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DAY = date(2026, 11, 23)
STAMP: dict[str, Any] = {"at": AT, "actor_id": 7, "source": "chat"}
render = Renderer(ZoneInfo("Asia/Shanghai"))

EVENTS: list[ev.Event] = [
    ev.PurchaseOrderApprovalGiven(**STAMP, ref="PO-2026-00001", approvals=1, approvals_needed=2),
    ev.PurchaseOrderApproved(**STAMP, ref="PO-2026-00001", automatic=False, created_by=3),
    ev.PurchaseOrderApproved(**STAMP, ref="PO-2026-00002", automatic=True, created_by=3),
    ev.PurchaseOrderRejected(**STAMP, ref="PO-2026-00001", reason="<too> dear & late", created_by=3),
    ev.GoodsReceived(**STAMP, ref="PO-2026-00001", lines=(("A-1", "10.500"),), complete=False, created_by=3),
    ev.GoodsReceived(**STAMP, ref="PO-2026-00003", lines=tuple((f"S-{n}", "1") for n in range(45)), complete=True, created_by=3),
    ev.BackorderReserved(**STAMP, ref="SO-2026-00001", sku="A-1", qty=Decimal(5), still_missing=Decimal(2), po="PO-2026-00001"),
    ev.BackorderReserved(**STAMP, ref="SO-2026-00002", sku="A-1", qty=Decimal(5), still_missing=Decimal(0), po="PO-2026-00001"),
    ev.SalesOrderShipped(
        **STAMP, ref="SO-2026-00001", shipment_id=1, lines=(("A-1", "3"),), complete=True, carrier="SF <Express>", tracking=None
    ),
    ev.PurchaseOrderOverdue(
        **STAMP, ref="PO-2026-00001", day=DAY, supplier="ACME", expected=DAY, days_late=4, created_by=3, escalate=True
    ),
    ev.SalesOrderOverdue(
        **STAMP, ref="SO-2026-00001", day=DAY, customer="SHOP", promised=DAY, days_late=1, created_by=3, escalate=False
    ),
    ev.ApprovalReminder(**STAMP, ref="PO-2026-00001", slot="1", hours_waiting=25, created_by=3, escalate=True),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.name)
def test_every_alert_text_renders_as_valid_html_in_both_languages(event: ev.Event, lang: str) -> None:
    kind = KIND_OF_EVENT[event.name]
    name = "approval_reminder" if kind is AlertKind.APPROVAL_REMINDER else kind.value

    text = render.render(f"alerts/{name}.html", lang, event=event.name, e=event.payload(), who="Mia <boss>")

    check_html(text)
    assert event.ref in text
    assert "<boss>" not in text and "<too>" not in text and "<Express>" not in text


def test_a_rejection_says_who_and_why() -> None:
    event = EVENTS[3]

    text = render.render("alerts/decision.html", "en", event=event.name, e=event.payload(), who="Mia")

    assert "rejected by Mia" in text and "&lt;too&gt; dear &amp; late" in text


def test_a_long_receipt_lists_thirty_lines_and_counts_the_rest() -> None:
    event = EVENTS[5]

    text = render.render("alerts/receipt.html", "zh", event=event.name, e=event.payload(), who=None)

    assert text.count("<code>") == 30 and t("zh", "alert.more_lines", count=15) in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_low_stock_list_is_cut_on_item_boundaries_under_the_limit(lang: str) -> None:
    found = [
        ev.StockFellBelowReorderPoint(
            **STAMP,
            ref=f"SKU-{n:04d}",
            item_id=n,
            item_name="名" * 120,
            projected=Decimal(n),
            reorder_point=Decimal(10000),
            suggested_qty=Decimal(50),
        ).payload()
        for n in range(300)
    ]

    parts = low_stock_messages(render, lang, found)

    assert len(parts) > 1
    for part in parts:
        check_html(part)
        assert visible_length(part) <= 4096
    joined = "\n".join(parts)
    assert all(joined.count(f"<code>SKU-{n:04d}</code>") == 1 for n in range(300))
