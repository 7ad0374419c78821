"""The purchase order aggregate: its state machine, the approval round, receiving and returns."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from domain import events as ev
from domain.errors import (
    AlreadyApproved,
    AlreadyDecided,
    InvalidInput,
    InvalidTransition,
    LineConflict,
    OverReceipt,
    PermissionDenied,
    ReasonRequired,
    SelfApproval,
)
from domain.master import User
from domain.purchasing import POStatus
from domain.stock import MoveKind
from tests.unit.builders import (
    A1,
    ADMIN,
    B2,
    BUYER,
    C3,
    MANAGER,
    MANAGER2,
    POLICY,
    SALES,
    TODAY,
    VIEWER,
    WAREHOUSE,
    approved_po,
    by,
    draft_po,
    event_names,
    item,
    q,
)

NO_TOLERANCE = Decimal(0)

# --- creating and submitting --------------------------------------------------------------------


def test_a_new_po_is_a_draft_whose_total_is_the_sum_of_its_rounded_lines() -> None:
    po = draft_po((A1, "3", "0.3335"), (B2, "10", "2.50"))

    assert po.status == POStatus.DRAFT
    assert po.total == Decimal("26.00")
    assert [ln.line_no for ln in po.lines] == [1, 2]


def test_adding_an_item_already_on_the_po_grows_its_line() -> None:
    po = draft_po((A1, 10, 2))

    po.add_line(A1, q(5), None, by(BUYER), POLICY)

    assert len(po.lines) == 1
    assert po.lines[0].qty == 15
    assert po.lines[0].unit_price == 2


def test_a_line_without_a_price_takes_the_items_last_cost() -> None:
    priced = item("D-4", 4, std_cost=q("1.20"), last_cost=q("1.35"))
    po = draft_po()

    line = po.add_line(priced, q(1), None, by(BUYER), POLICY)

    assert line.unit_price == Decimal("1.35")


def test_an_inactive_item_cannot_be_ordered() -> None:
    po = draft_po()
    retired = item("OLD-1", 9, active=False)

    with pytest.raises(InvalidInput) as caught:
        po.add_line(retired, q(1), q(1), by(BUYER), POLICY)

    assert caught.value.reason == "inactive_item"
    assert po.lines == []


def test_a_po_below_the_first_threshold_is_approved_on_submit() -> None:
    po = draft_po((A1, 10, "99.99"))

    po.submit(by(BUYER), POLICY)

    assert po.status == POStatus.APPROVED
    assert po.approvals_needed == 0
    approved = [e for e in po.events if isinstance(e, ev.PurchaseOrderApproved)]
    assert len(approved) == 1 and approved[0].automatic


def test_a_po_whose_total_equals_a_threshold_needs_that_tiers_approval() -> None:
    po = draft_po((A1, 100, 10))

    po.submit(by(BUYER), POLICY)

    assert po.total == Decimal(1000)
    assert po.status == POStatus.PENDING
    assert po.approvals_needed == 1
    assert event_names(po) == ["PurchaseOrderSubmitted"]


def test_a_po_whose_total_equals_the_top_threshold_needs_two_approvals() -> None:
    po = draft_po((A1, 1000, 10))

    po.submit(by(BUYER), POLICY)

    assert po.total == Decimal(10000)
    assert po.approvals_needed == 2


def test_an_empty_po_cannot_be_submitted() -> None:
    po = draft_po()

    with pytest.raises(InvalidInput) as caught:
        po.submit(by(BUYER), POLICY)

    assert caught.value.reason == "no_lines"
    assert po.status == POStatus.DRAFT


def test_a_viewer_cannot_submit_a_po() -> None:
    po = draft_po((A1, 100, 10))

    with pytest.raises(PermissionDenied):
        po.submit(by(VIEWER), POLICY)

    assert po.status == POStatus.DRAFT


def test_a_submitted_po_cannot_be_submitted_again() -> None:
    po = draft_po((A1, 100, 10))
    po.submit(by(BUYER), POLICY)

    with pytest.raises(InvalidTransition) as caught:
        po.submit(by(BUYER), POLICY)

    assert caught.value.state == POStatus.PENDING
    assert po.approval_round == 1


# --- approving and rejecting ------------------------------------------------------------------


def test_one_managers_approval_is_enough_in_the_middle_tier() -> None:
    po = draft_po((A1, 100, 10))
    po.submit(by(BUYER), POLICY)

    po.approve(by(MANAGER, minutes=5))

    assert po.status == POStatus.APPROVED
    assert po.approved_at == by(MANAGER, minutes=5).at
    assert [(d.user_id, d.approve, d.round) for d in po.decisions] == [(MANAGER.id, True, 1)]


def test_the_top_tier_needs_two_different_approvers() -> None:
    po = draft_po((A1, 1000, 10))
    po.submit(by(BUYER), POLICY)

    po.approve(by(MANAGER))
    after_first = po.status
    po.approve(by(MANAGER2))

    assert after_first == POStatus.PENDING
    assert po.status == POStatus.APPROVED
    assert event_names(po)[-2:] == ["PurchaseOrderApprovalGiven", "PurchaseOrderApproved"]


def test_one_person_approves_once() -> None:
    po = draft_po((A1, 1000, 10))
    po.submit(by(BUYER), POLICY)
    po.approve(by(MANAGER))

    with pytest.raises(AlreadyApproved) as caught:
        po.approve(by(MANAGER, minutes=1))

    assert caught.value.user_id == MANAGER.id
    assert po.status == POStatus.PENDING
    assert len(po.approvals()) == 1


def test_an_approver_cannot_take_their_approval_back_with_a_rejection() -> None:
    po = draft_po((A1, 1000, 10))
    po.submit(by(BUYER), POLICY)
    po.approve(by(MANAGER))

    with pytest.raises(AlreadyApproved):
        po.reject(by(MANAGER, minutes=1), "changed my mind")

    assert po.status == POStatus.PENDING
    assert [(d.user_id, d.approve) for d in po.decisions] == [(MANAGER.id, True)]


def test_the_creator_never_approves_their_own_po_even_as_a_manager() -> None:
    po = draft_po((A1, 100, 10), creator=MANAGER)
    po.submit(by(MANAGER), POLICY)

    with pytest.raises(SelfApproval):
        po.approve(by(MANAGER))

    assert po.status == POStatus.PENDING
    assert po.decisions == []
    assert not po.can_decide(MANAGER)
    assert po.can_decide(MANAGER2)


@pytest.mark.parametrize("user", [SALES, WAREHOUSE, VIEWER, BUYER], ids=["sales", "warehouse", "viewer", "buyer"])
def test_only_the_tiers_roles_may_approve(user: User) -> None:
    po = draft_po((A1, 100, 10), creator=ADMIN)
    po.submit(by(ADMIN), POLICY)

    with pytest.raises(PermissionDenied):
        po.approve(by(user))

    assert po.status == POStatus.PENDING
    assert not po.can_decide(user)


def test_the_system_cannot_approve_on_anyones_behalf() -> None:
    po = draft_po((A1, 100, 10))
    po.submit(by(BUYER), POLICY)

    with pytest.raises(PermissionDenied):
        po.approve(by(None))

    assert po.status == POStatus.PENDING


def test_an_inactive_manager_cannot_approve() -> None:
    po = draft_po((A1, 100, 10))
    po.submit(by(BUYER), POLICY)
    gone = User(MANAGER.id, MANAGER.name, MANAGER.roles, active=False)

    with pytest.raises(PermissionDenied) as caught:
        po.approve(by(gone))

    assert caught.value.why == "inactive"


def test_approving_a_decided_po_is_refused_as_already_decided() -> None:
    po = draft_po((A1, 100, 10))
    po.submit(by(BUYER), POLICY)
    po.approve(by(MANAGER))

    with pytest.raises(AlreadyDecided) as caught:
        po.approve(by(MANAGER2))

    assert caught.value.state == POStatus.APPROVED
    assert len(po.decisions) == 1


def test_a_draft_cannot_be_approved() -> None:
    po = draft_po((A1, 100, 10))

    with pytest.raises(InvalidTransition) as caught:
        po.approve(by(MANAGER))

    assert type(caught.value) is InvalidTransition
    assert po.status == POStatus.DRAFT


def test_a_rejection_needs_a_reason() -> None:
    po = draft_po((A1, 100, 10))
    po.submit(by(BUYER), POLICY)

    with pytest.raises(ReasonRequired):
        po.reject(by(MANAGER), "   ")

    assert po.status == POStatus.PENDING
    assert po.decisions == []


def test_one_rejection_stops_the_po_and_records_who_and_why() -> None:
    po = draft_po((A1, 1000, 10))
    po.submit(by(BUYER), POLICY)
    po.approve(by(MANAGER))

    po.reject(by(MANAGER2, minutes=3), "  price too high ")

    assert po.status == POStatus.REJECTED
    last = po.decisions[-1]
    assert (last.user_id, last.approve, last.reason, last.at) == (MANAGER2.id, False, "price too high", by(None, 3).at)
    assert isinstance(po.events[-1], ev.PurchaseOrderRejected)


def test_a_rejected_po_is_revised_to_a_draft_and_its_next_round_starts_from_zero() -> None:
    po = draft_po((A1, 1000, 10))
    po.submit(by(BUYER), POLICY)
    po.approve(by(MANAGER))
    po.reject(by(MANAGER2), "wrong supplier")

    po.revise(by(BUYER))
    po.submit(by(BUYER), POLICY)

    assert po.status == POStatus.PENDING
    assert po.approval_round == 2
    assert po.approvals() == []
    assert po.can_decide(MANAGER)  # approved in round 1, free to decide again in round 2


def test_only_a_rejected_po_can_be_revised() -> None:
    po = draft_po((A1, 100, 10))
    po.submit(by(BUYER), POLICY)

    with pytest.raises(InvalidTransition):
        po.revise(by(BUYER))

    assert po.status == POStatus.PENDING


# --- editing after submission -------------------------------------------------------------------


def test_changing_the_quantity_of_an_approved_po_sends_it_back_for_approval_in_a_new_round() -> None:
    po = approved_po((A1, 100, 10))

    po.set_line_qty(1, q(120), by(BUYER), POLICY)

    assert po.status == POStatus.PENDING
    assert po.approval_round == 2
    assert po.approvals() == []
    assert po.approved_at is None
    changed = [e for e in po.events if isinstance(e, ev.PurchaseOrderChanged)]
    assert changed[0].needs_reapproval


def test_changing_quantity_and_price_together_starts_one_approval_round() -> None:
    po = approved_po((A1, 100, 10))
    po.events.clear()

    po.change_line(1, by(BUYER), POLICY, qty=q(120), price=q(21))

    assert po.approval_round == 2
    assert event_names(po).count("PurchaseOrderSubmitted") == 1
    assert (po.lines[0].qty, po.lines[0].unit_price) == (q(120), q(21))


def test_a_bad_price_in_a_combined_change_leaves_the_quantity_alone_too() -> None:
    po = approved_po((A1, 100, 10))

    with pytest.raises(InvalidInput):
        po.change_line(1, by(BUYER), POLICY, qty=q(120), price=q(-1))

    assert (po.lines[0].qty, po.status, po.approval_round) == (q(100), POStatus.APPROVED, 1)


def test_changing_the_price_of_an_approved_po_sends_it_back_for_approval() -> None:
    po = approved_po((A1, 100, 10))

    po.set_line_price(1, q("10.5"), by(BUYER), POLICY)

    assert po.status == POStatus.PENDING
    assert po.approval_round == 2


def test_the_earlier_approvers_must_approve_the_changed_po_again() -> None:
    po = approved_po((A1, 100, 10))
    po.set_line_qty(1, q(110), by(BUYER), POLICY)

    po.approve(by(MANAGER))

    assert po.status == POStatus.APPROVED
    assert [d.round for d in po.decisions] == [1, 2]


def test_a_change_that_moves_the_total_into_a_higher_tier_needs_that_tiers_approvals() -> None:
    po = approved_po((A1, 100, 10))

    po.add_line(B2, q(900), q(10), by(BUYER), POLICY)

    assert po.total == Decimal(10000)
    assert po.approvals_needed == 2


def test_setting_the_same_quantity_or_price_changes_nothing() -> None:
    po = approved_po((A1, 100, 10))

    po.set_line_qty(1, q(100), by(BUYER), POLICY)
    po.set_line_price(1, q(10), by(BUYER), POLICY)

    assert po.status == POStatus.APPROVED
    assert po.approval_round == 1
    assert po.events == []


def test_a_new_expected_date_does_not_need_approval() -> None:
    po = approved_po((A1, 100, 10))

    po.set_expected_date(TODAY + timedelta(days=30), by(BUYER))

    assert po.status == POStatus.APPROVED
    assert po.expected_date == TODAY + timedelta(days=30)


def test_a_viewer_cannot_edit_a_po() -> None:
    po = draft_po((A1, 100, 10))

    with pytest.raises(PermissionDenied):
        po.set_line_qty(1, q(5), by(VIEWER), POLICY)

    assert po.lines[0].qty == 100


def test_a_closed_po_cannot_be_edited() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(100)}, by(WAREHOUSE), NO_TOLERANCE)
    po.close(by(BUYER))

    with pytest.raises(InvalidTransition):
        po.set_line_qty(1, q(150), by(BUYER), POLICY)

    assert po.lines[0].qty == 100


def test_a_line_cannot_drop_below_what_was_received() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)

    with pytest.raises(LineConflict) as caught:
        po.set_line_qty(1, q("59.999"), by(BUYER), POLICY)

    assert caught.value.reason == "below_received"
    assert caught.value.limit == 60
    assert po.lines[0].qty == 100
    assert po.status == POStatus.PARTIAL


def test_a_line_may_be_cut_down_to_exactly_what_was_received() -> None:
    po = approved_po((A1, 100, 1))
    po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)

    po.set_line_qty(1, q(60), by(BUYER), POLICY)

    assert po.status == POStatus.RECEIVED
    assert po.open_qty == 0


def test_a_received_line_cannot_be_removed() -> None:
    po = approved_po((A1, 10, 10), (B2, 10, 10))
    po.receive({1: q(1)}, by(WAREHOUSE), NO_TOLERANCE)

    with pytest.raises(LineConflict) as caught:
        po.remove_line(1, by(BUYER), POLICY)

    assert caught.value.reason == "already_received"
    assert len(po.lines) == 2


def test_a_line_nothing_was_received_on_can_be_removed_but_not_the_last_one() -> None:
    po = draft_po((A1, 10, 10), (B2, 10, 10))

    po.remove_line(2, by(BUYER), POLICY)

    assert [ln.sku for ln in po.lines] == ["A-1"]
    with pytest.raises(LineConflict) as caught:
        po.remove_line(1, by(BUYER), POLICY)
    assert caught.value.reason == "last_line"


def test_an_unknown_line_number_is_refused() -> None:
    po = draft_po((A1, 10, 10))

    with pytest.raises(InvalidInput) as caught:
        po.set_line_qty(7, q(1), by(BUYER), POLICY)

    assert caught.value.reason == "unknown_line"


def test_a_partially_received_po_approved_again_after_a_change_is_partially_received_again() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)
    po.set_line_qty(1, q(110), by(BUYER), POLICY)

    po.approve(by(MANAGER))

    assert po.status == POStatus.PARTIAL
    assert po.open_qty == 50


def test_a_rejected_change_to_a_partially_received_po_can_be_revised_and_resubmitted() -> None:
    # The buyer raised the quantity after the first delivery and the manager said no: the order
    # must not be stuck in "rejected" with goods in the warehouse and nobody able to touch it.
    po = approved_po((A1, 100, 10))
    po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)
    po.set_line_qty(1, q(200), by(BUYER), POLICY)
    po.reject(by(MANAGER), "we only need 100")

    po.revise(by(BUYER))
    po.set_line_qty(1, q(100), by(BUYER), POLICY)
    po.submit(by(BUYER), POLICY)
    po.approve(by(MANAGER))

    assert po.status == POStatus.PARTIAL
    assert po.lines[0].received_qty == 60


# --- cancel and close -------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["draft", "pending", "approved", "rejected"])
def test_a_po_with_nothing_received_can_be_cancelled(state: str) -> None:
    po = draft_po((A1, 100, 10))
    if state != "draft":
        po.submit(by(BUYER), POLICY)
    if state == "approved":
        po.approve(by(MANAGER))
    if state == "rejected":
        po.reject(by(MANAGER), "no")

    po.cancel(by(BUYER), "supplier closed")

    assert po.status == POStatus.CANCELLED
    cancelled = po.events[-1]
    assert isinstance(cancelled, ev.PurchaseOrderCancelled) and cancelled.reason == "supplier closed"


def test_a_po_with_goods_received_cannot_be_cancelled() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(1)}, by(WAREHOUSE), NO_TOLERANCE)

    with pytest.raises(InvalidTransition):
        po.cancel(by(BUYER))

    assert po.status == POStatus.PARTIAL


def test_a_partially_received_po_is_closed_short_cancelling_what_is_left() -> None:
    po = approved_po((A1, 100, 10), (B2, 10, 10))
    po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)

    po.close(by(BUYER))

    assert po.status == POStatus.CLOSED
    closed = po.events[-1]
    assert isinstance(closed, ev.PurchaseOrderClosed)
    assert closed.short and closed.cancelled_qty == 50
    assert not po.is_overdue(TODAY + timedelta(days=365))


def test_a_fully_received_po_is_closed_without_shortfall() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(100)}, by(WAREHOUSE), NO_TOLERANCE)

    po.close(by(BUYER))

    closed = po.events[-1]
    assert isinstance(closed, ev.PurchaseOrderClosed) and not closed.short


@pytest.mark.parametrize("state", ["draft", "approved"])
def test_a_po_that_received_nothing_cannot_be_closed(state: str) -> None:
    po = draft_po((A1, 10, 10)) if state == "draft" else approved_po((A1, 10, 10))

    with pytest.raises(InvalidTransition):
        po.close(by(BUYER))

    assert po.status == state


def test_the_warehouse_cannot_close_a_po() -> None:
    po = approved_po((A1, 10, 10))
    po.receive({1: q(5)}, by(WAREHOUSE), NO_TOLERANCE)

    with pytest.raises(PermissionDenied):
        po.close(by(WAREHOUSE))

    assert po.status == POStatus.PARTIAL


def test_the_warehouse_cannot_cancel_a_po() -> None:
    po = approved_po((A1, 10, 10))

    with pytest.raises(PermissionDenied):
        po.cancel(by(WAREHOUSE))

    assert po.status == POStatus.APPROVED


# --- receiving and returning --------------------------------------------------------------------


def test_receiving_60_of_100_leaves_40_open_and_the_po_partially_received() -> None:
    po = approved_po((A1, 100, 10))

    changes = po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)

    assert po.status == POStatus.PARTIAL
    assert po.lines[0].received_qty == 60
    assert po.open_qty == 40
    assert [(c.item_id, c.on_hand_delta, c.reserved_delta, c.kind, c.ref) for c in changes] == [
        (A1.id, Decimal(60), Decimal(0), MoveKind.RECEIPT, "PO-2026-00001")
    ]
    assert po.first_receipt_at is not None


def test_receipts_add_up_until_the_po_is_received() -> None:
    po = approved_po((A1, 100, 10), (B2, 10, 10))
    po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)
    first = po.first_receipt_at

    po.receive({1: q(40), 2: q(10)}, by(WAREHOUSE, minutes=60), NO_TOLERANCE)

    assert po.status == POStatus.RECEIVED
    assert po.open_qty == 0
    assert po.first_receipt_at == first
    received = [e for e in po.events if isinstance(e, ev.GoodsReceived)]
    assert [r.complete for r in received] == [False, True]


def test_a_second_receipt_of_45_is_refused_at_no_tolerance() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)

    with pytest.raises(OverReceipt) as caught:
        po.receive({1: q(45)}, by(WAREHOUSE), NO_TOLERANCE)

    assert (caught.value.attempted, caught.value.allowed) == (45, 40)
    assert po.lines[0].received_qty == 60
    assert po.status == POStatus.PARTIAL


def test_a_second_receipt_of_45_is_accepted_at_five_percent_tolerance() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)

    po.receive({1: q(45)}, by(WAREHOUSE), Decimal("0.05"))

    assert po.lines[0].received_qty == 105
    assert po.status == POStatus.RECEIVED
    assert po.open_qty == 0


def test_tolerance_is_a_ceiling_not_an_allowance_per_delivery() -> None:
    po = approved_po((A1, 100, 10), (B2, 10, 10))
    po.receive({1: q(104)}, by(WAREHOUSE), Decimal("0.05"))

    with pytest.raises(OverReceipt) as caught:
        po.receive({1: q("1.001")}, by(WAREHOUSE), Decimal("0.05"))

    assert caught.value.allowed == 1
    assert po.lines[0].received_qty == 104


def test_the_tolerance_limit_is_rounded_down_never_up() -> None:
    po = approved_po((A1, "0.045", 10))

    with pytest.raises(OverReceipt) as caught:
        po.receive({1: q("0.050")}, by(WAREHOUSE), Decimal("0.10"))

    assert caught.value.allowed == q("0.049")


def test_a_receipt_with_one_bad_line_receives_nothing() -> None:
    po = approved_po((A1, 10, 10), (B2, 10, 10))

    with pytest.raises(OverReceipt):
        po.receive({1: q(5), 2: q(11)}, by(WAREHOUSE), NO_TOLERANCE)

    assert [ln.received_qty for ln in po.lines] == [0, 0]
    assert po.status == POStatus.APPROVED
    assert po.events == []


@pytest.mark.parametrize(
    ("qty", "reason"), [("0", "must_be_positive"), ("-1", "must_be_positive"), ("1.0001", "too_many_decimals")]
)
def test_a_receipt_of_a_bad_quantity_is_refused(qty: str, reason: str) -> None:
    po = approved_po((A1, 10, 10))

    with pytest.raises(InvalidInput) as caught:
        po.receive({1: Decimal(qty)}, by(WAREHOUSE), NO_TOLERANCE)

    assert caught.value.reason == reason
    assert po.lines[0].received_qty == 0


@pytest.mark.parametrize("state", ["draft", "pending", "rejected", "cancelled", "closed"])
def test_goods_are_received_only_on_an_approved_or_partially_received_po(state: str) -> None:
    po = draft_po((A1, 100, 10))
    if state != "draft":
        po.submit(by(BUYER), POLICY)
    if state == "rejected":
        po.reject(by(MANAGER), "no")
    if state == "cancelled":
        po.cancel(by(BUYER))
    if state == "closed":
        po.approve(by(MANAGER))
        po.receive({1: q(1)}, by(WAREHOUSE), NO_TOLERANCE)
        po.close(by(BUYER))

    with pytest.raises(InvalidTransition):
        po.receive({1: q(1)}, by(WAREHOUSE), NO_TOLERANCE)

    assert po.lines[0].received_qty == (1 if state == "closed" else 0)


def test_sales_staff_cannot_receive_goods() -> None:
    po = approved_po((A1, 10, 10))

    with pytest.raises(PermissionDenied):
        po.receive({1: q(1)}, by(SALES), NO_TOLERANCE)

    assert po.lines[0].received_qty == 0


def test_receive_all_takes_in_everything_still_open() -> None:
    po = approved_po((A1, 100, 10), (B2, 10, 10))
    po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)

    changes = po.receive_all(by(WAREHOUSE), NO_TOLERANCE)

    assert sorted((c.sku, c.on_hand_delta) for c in changes) == [("A-1", 40), ("B-2", 10)]
    assert po.status == POStatus.RECEIVED


def test_a_return_lowers_the_received_quantity_and_takes_the_goods_out() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(100)}, by(WAREHOUSE), NO_TOLERANCE)

    changes = po.return_goods({1: q(10)}, by(WAREHOUSE), "damaged")

    assert po.lines[0].received_qty == 90
    assert po.status == POStatus.PARTIAL
    assert [(c.on_hand_delta, c.kind) for c in changes] == [(Decimal(-10), MoveKind.RETURN)]
    returned = po.events[-1]
    assert isinstance(returned, ev.GoodsReturned) and returned.reason == "damaged"


def test_a_return_needs_a_reason() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(100)}, by(WAREHOUSE), NO_TOLERANCE)

    with pytest.raises(ReasonRequired):
        po.return_goods({1: q(10)}, by(WAREHOUSE), "")

    assert po.lines[0].received_qty == 100


def test_more_than_was_received_cannot_be_returned() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(30)}, by(WAREHOUSE), NO_TOLERANCE)

    with pytest.raises(LineConflict) as caught:
        po.return_goods({1: q("30.001")}, by(WAREHOUSE), "damaged")

    assert caught.value.reason == "return_exceeds_received"
    assert po.lines[0].received_qty == 30


def test_nothing_can_be_returned_from_a_po_that_received_nothing() -> None:
    po = approved_po((A1, 100, 10))

    with pytest.raises(InvalidTransition):
        po.return_goods({1: q(1)}, by(WAREHOUSE), "damaged")

    assert po.status == POStatus.APPROVED


def test_a_closed_po_stays_closed_after_a_return() -> None:
    po = approved_po((A1, 100, 10))
    po.receive({1: q(100)}, by(WAREHOUSE), NO_TOLERANCE)
    po.close(by(BUYER))

    po.return_goods({1: q(5)}, by(WAREHOUSE), "damaged")

    assert po.status == POStatus.CLOSED
    assert po.lines[0].received_qty == 95


# --- overdue ------------------------------------------------------------------------------------


def test_an_approved_po_expected_before_today_with_something_left_is_overdue() -> None:
    po = approved_po((A1, 100, 10))
    po.expected_date = TODAY - timedelta(days=1)

    overdue = po.is_overdue(TODAY)

    assert overdue


def test_a_po_expected_today_is_not_overdue_yet() -> None:
    po = approved_po((A1, 100, 10))
    po.expected_date = TODAY

    overdue_today, overdue_tomorrow = po.is_overdue(TODAY), po.is_overdue(TODAY + timedelta(days=1))

    assert not overdue_today
    assert overdue_tomorrow


def test_a_partially_received_po_past_its_date_is_overdue_until_everything_arrives() -> None:
    po = approved_po((A1, 100, 10))
    po.expected_date = TODAY - timedelta(days=3)
    po.receive({1: q(60)}, by(WAREHOUSE), NO_TOLERANCE)
    partially = po.is_overdue(TODAY)

    po.receive({1: q(40)}, by(WAREHOUSE), NO_TOLERANCE)

    assert partially
    assert not po.is_overdue(TODAY)


@pytest.mark.parametrize("state", ["draft", "pending", "rejected", "cancelled"])
def test_a_po_that_is_not_open_is_never_overdue(state: str) -> None:
    po = draft_po((A1, 100, 10))
    if state != "draft":
        po.submit(by(BUYER), POLICY)
    if state == "rejected":
        po.reject(by(MANAGER), "no")
    if state == "cancelled":
        po.cancel(by(BUYER))
    po.expected_date = TODAY - timedelta(days=10)

    overdue = po.is_overdue(TODAY)

    assert not overdue


def test_a_po_without_an_expected_date_is_never_overdue() -> None:
    po = approved_po((A1, 100, 10))
    po.expected_date = None

    overdue = po.is_overdue(TODAY + timedelta(days=1000))

    assert not overdue


def test_an_over_received_line_does_not_make_up_for_another_lines_shortfall() -> None:
    po = approved_po((A1, 10, 10), (C3, 10, 10))
    po.expected_date = TODAY - timedelta(days=1)
    po.receive({1: q(11)}, by(WAREHOUSE), Decimal("0.1"))

    open_qty = po.open_qty

    assert open_qty == 10
    assert po.is_overdue(TODAY)
