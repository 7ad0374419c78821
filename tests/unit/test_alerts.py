"""Alert kinds and whom each notifying event concerns (domain.alerts): no I/O."""

from __future__ import annotations

import pytest

from domain import events as ev
from domain.alerts import KIND_OF_EVENT, KINDS, AlertKind, Audience, audience, parse_kinds
from domain.master import Role

BUYER, MANAGER, APPROVER = 11, 12, 13


def test_every_kind_of_the_spec_is_an_alert_kind_and_some_event_raises_it() -> None:
    assert KINDS == (
        "low_stock",
        "overdue_inbound",
        "overdue_outbound",
        "approval_request",
        "approval_reminder",
        "decision",
        "receipt",
        "shipment",
        "daily_digest",
        "escalation",  # a channel for escalated alerts, not an event's kind
    )
    assert set(KIND_OF_EVENT.values()) == set(AlertKind) - {AlertKind.ESCALATION}


def test_every_mapped_event_exists_and_notifies() -> None:
    for name in KIND_OF_EVENT:
        event_type = getattr(ev, name)
        assert event_type.notify, name


@pytest.mark.parametrize(
    "name", ["PurchaseOrderCancelled", "PurchaseOrderClosed", "SalesOrderConfirmed", "StockAdjusted", "Nope"]
)
def test_events_that_concern_no_one_alert_no_one(name: str) -> None:
    assert audience(name, {"ref": "X", "actor_id": 1}) is None


def test_an_approval_request_goes_to_the_approver_roles_but_never_to_the_buyer() -> None:
    payload = {"ref": "PO-1", "actor_id": BUYER, "created_by": BUYER, "approver_roles": ["admin", "manager"]}

    who = audience("PurchaseOrderSubmitted", payload)

    assert who == Audience(AlertKind.APPROVAL_REQUEST, roles=frozenset({Role.ADMIN, Role.MANAGER}), exclude=frozenset({BUYER}))


def test_an_automatically_approved_po_requests_no_approval() -> None:
    assert audience("PurchaseOrderSubmitted", {"ref": "PO-1", "created_by": BUYER, "approver_roles": []}) is None


def test_a_reminder_skips_those_who_already_approved_and_an_escalation_adds_the_managers() -> None:
    payload = {
        "ref": "PO-1",
        "actor_id": None,
        "created_by": BUYER,
        "approver_roles": ["admin"],
        "decided": [APPROVER],
        "escalate": True,
    }

    who = audience("ApprovalReminder", payload)

    assert who is not None
    assert who.kind is AlertKind.APPROVAL_REMINDER
    assert who.roles == {Role.ADMIN, Role.MANAGER}
    assert who.exclude == {BUYER, APPROVER}


def test_a_reminder_for_a_po_no_longer_pending_goes_nowhere() -> None:
    assert audience("ApprovalReminder", {"ref": "PO-1", "created_by": BUYER, "approver_roles": [], "escalate": False}) is None


def test_decisions_go_to_the_buyer_and_approved_goods_to_the_warehouse_but_not_to_the_approver() -> None:
    approved = audience("PurchaseOrderApproved", {"ref": "PO-1", "actor_id": MANAGER, "created_by": BUYER, "automatic": False})
    rejected = audience("PurchaseOrderRejected", {"ref": "PO-1", "actor_id": MANAGER, "created_by": BUYER, "reason": "no"})
    progress = audience("PurchaseOrderApprovalGiven", {"ref": "PO-1", "actor_id": MANAGER, "created_by": BUYER})

    assert approved == Audience(
        AlertKind.DECISION, roles=frozenset({Role.WAREHOUSE}), users=frozenset({BUYER}), exclude=frozenset({MANAGER})
    )
    assert rejected == Audience(AlertKind.DECISION, users=frozenset({BUYER}), exclude=frozenset({MANAGER}))
    assert progress is not None and progress.users == {BUYER} and not progress.groups


def test_goods_and_overdue_purchases_concern_the_buyer_and_managers_when_escalated() -> None:
    receipt = audience("GoodsReceived", {"ref": "PO-1", "actor_id": 5, "created_by": BUYER})
    late = audience("PurchaseOrderOverdue", {"ref": "PO-1", "actor_id": None, "created_by": BUYER, "escalate": False})
    very_late = audience("PurchaseOrderOverdue", {"ref": "PO-1", "actor_id": None, "created_by": BUYER, "escalate": True})

    assert receipt == Audience(AlertKind.RECEIPT, users=frozenset({BUYER}), exclude=frozenset({5}))
    assert late == Audience(AlertKind.OVERDUE_INBOUND, users=frozenset({BUYER}))
    assert very_late is not None and very_late.roles == {Role.MANAGER}


def test_sales_hear_about_shipments_backorders_and_their_late_orders() -> None:
    shipped = audience("SalesOrderShipped", {"ref": "SO-1", "actor_id": 5})
    reserved = audience("BackorderReserved", {"ref": "SO-1", "actor_id": 5})
    late = audience("SalesOrderOverdue", {"ref": "SO-1", "actor_id": None, "created_by": 8, "escalate": False})

    assert shipped == reserved == Audience(AlertKind.SHIPMENT, roles=frozenset({Role.SALES}), exclude=frozenset({5}))
    assert late == Audience(AlertKind.OVERDUE_OUTBOUND, users=frozenset({8}))


def test_low_stock_goes_to_the_buyers_even_when_one_of_them_caused_it() -> None:
    assert audience("StockFellBelowReorderPoint", {"ref": "A-1", "actor_id": BUYER}) == Audience(
        AlertKind.LOW_STOCK, roles=frozenset({Role.BUYER})
    )


def test_the_digest_goes_only_to_the_chats_bound_to_it() -> None:
    assert audience("DailyDigestDue", {"ref": "2026-11-23", "actor_id": None}) == Audience(AlertKind.DAILY_DIGEST)


def test_kinds_are_parsed_case_insensitively_with_all_and_unknown_words_apart() -> None:
    assert parse_kinds(["Receipt", "low_stock"]) == ([AlertKind.LOW_STOCK, AlertKind.RECEIPT], [])
    assert parse_kinds(["all"]) == (list(AlertKind), [])
    assert parse_kinds(["receipt", "lowstock", "x"]) == ([AlertKind.RECEIPT], ["lowstock", "x"])
    assert parse_kinds(["receipt,shipment，decision"]) == ([AlertKind.DECISION, AlertKind.RECEIPT, AlertKind.SHIPMENT], [])
