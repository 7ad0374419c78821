"""The purchase order aggregate: lines, the approval round, receiving and returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from domain import events as ev
from domain.acts import Act
from domain.approval import ApprovalPolicy
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
from domain.master import PURCHASING, RECEIVING, Item, Role, User
from domain.stock import MoveKind, StockChange
from domain.values import check_price, check_qty, line_total, round_money


class POStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending_approval"
    APPROVED = "approved"
    PARTIAL = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


OPEN_INBOUND = frozenset({POStatus.APPROVED, POStatus.PARTIAL})
EDITABLE = frozenset({POStatus.DRAFT, POStatus.PENDING, POStatus.APPROVED, POStatus.PARTIAL})
DECIDED = frozenset(POStatus) - {POStatus.DRAFT, POStatus.PENDING}


@dataclass(slots=True)
class POLine:
    line_no: int
    item_id: int
    sku: str
    qty: Decimal
    unit_price: Decimal
    received_qty: Decimal = Decimal(0)
    id: int | None = None

    @property
    def open_qty(self) -> Decimal:
        return max(self.qty - self.received_qty, Decimal(0))


@dataclass(slots=True)
class Decision:
    user_id: int
    approve: bool
    at: datetime
    round: int
    reason: str | None = None
    id: int | None = None


def _need_reason(reason: str, action: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ReasonRequired(action)
    if len(reason) > 500:
        raise InvalidInput("reason", reason, "too_long")
    return reason


@dataclass(slots=True, kw_only=True)
class PurchaseOrder:
    number: str
    supplier_id: int
    supplier_code: str
    currency: str
    warehouse_id: int
    created_by: int
    created_at: datetime
    expected_date: date | None = None
    status: POStatus = POStatus.DRAFT
    lines: list[POLine] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    approval_round: int = 0
    approvals_needed: int = 0
    approver_roles: frozenset[Role] = frozenset()
    submitted_at: datetime | None = None
    approved_at: datetime | None = None
    first_receipt_at: datetime | None = None
    note: str | None = None
    id: int | None = None
    version: int = 0
    events: list[ev.Event] = field(default_factory=list)

    # --- reading ------------------------------------------------------------------------------

    @property
    def total(self) -> Decimal:
        return round_money(
            sum((line_total(ln.qty, ln.unit_price, self.currency) for ln in self.lines), Decimal(0)), self.currency
        )

    @property
    def open_qty(self) -> Decimal:
        return sum((ln.open_qty for ln in self.lines), Decimal(0))

    @property
    def received_anything(self) -> bool:
        return any(ln.received_qty > 0 for ln in self.lines)

    def approvals(self) -> list[Decision]:
        return [d for d in self.decisions if d.round == self.approval_round and d.approve]

    def line(self, line_no: int) -> POLine:
        for ln in self.lines:
            if ln.line_no == line_no:
                return ln
        raise InvalidInput("line", str(line_no), "unknown_line")

    def line_for_item(self, item_id: int) -> POLine | None:
        return next((ln for ln in self.lines if ln.item_id == item_id), None)

    def is_overdue(self, today: date) -> bool:
        return self.status in OPEN_INBOUND and self.open_qty > 0 and self.expected_date is not None and self.expected_date < today

    def can_decide(self, user: User) -> bool:
        """Whether to show this user approve/reject buttons; decide() enforces the same rules."""
        return (
            self.status == POStatus.PENDING
            and user.may(self.approver_roles)
            and user.id != self.created_by
            and all(d.user_id != user.id for d in self.approvals())
        )

    # --- editing ------------------------------------------------------------------------------

    def _require_editable(self, act: Act, action: str) -> None:
        act.require(PURCHASING, action)
        if self.status not in EDITABLE:
            raise InvalidTransition("po", self.number, self.status, action)

    def add_line(self, item: Item, qty: Decimal, price: Decimal | None, act: Act, policy: ApprovalPolicy) -> POLine:
        self._require_editable(act, "edit")
        if not item.active:
            raise InvalidInput("sku", item.sku, "inactive_item")
        assert item.id is not None
        qty = check_qty(qty)
        unit_price = check_price(price if price is not None else (item.last_cost or item.std_cost or Decimal(0)), self.currency)
        existing = self.line_for_item(item.id)
        if existing is not None:
            existing.qty = check_qty(existing.qty + qty)
            if price is not None:
                existing.unit_price = unit_price
            line = existing
        else:
            line = POLine(max((ln.line_no for ln in self.lines), default=0) + 1, item.id, item.sku, qty, unit_price)
            self.lines.append(line)
        self._changed(act, policy, f"line {item.sku} +{qty}")
        return line

    def change_line(
        self, line_no: int, act: Act, policy: ApprovalPolicy, *, qty: Decimal | None = None, price: Decimal | None = None
    ) -> None:
        """New quantity and/or price for a line: checked together, one change, one approval round."""
        self._require_editable(act, "edit")
        line = self.line(line_no)
        if qty is None and price is None:
            raise InvalidInput("qty", "", "nothing_to_change")
        new_qty = line.qty if qty is None else check_qty(qty)
        new_price = line.unit_price if price is None else check_price(price, self.currency)
        if new_qty < line.received_qty:
            raise LineConflict(line.sku, "below_received", line.received_qty)
        said = []
        if new_qty != line.qty:
            said.append(f"qty {line.qty}→{new_qty}")
        if new_price != line.unit_price:
            said.append(f"price {line.unit_price}→{new_price}")
        if not said:
            return
        line.qty, line.unit_price = new_qty, new_price
        self._changed(act, policy, f"line {line.sku} {', '.join(said)}")

    def set_line_qty(self, line_no: int, qty: Decimal, act: Act, policy: ApprovalPolicy) -> None:
        self.change_line(line_no, act, policy, qty=qty)

    def set_line_price(self, line_no: int, price: Decimal, act: Act, policy: ApprovalPolicy) -> None:
        self.change_line(line_no, act, policy, price=price)

    def remove_line(self, line_no: int, act: Act, policy: ApprovalPolicy) -> None:
        self._require_editable(act, "edit")
        line = self.line(line_no)
        if line.received_qty > 0:
            raise LineConflict(line.sku, "already_received", line.received_qty)
        if len(self.lines) == 1:
            raise LineConflict(line.sku, "last_line")
        self.lines.remove(line)
        self._changed(act, policy, f"line {line.sku} removed")

    def set_expected_date(self, when: date | None, act: Act) -> None:
        # A date is the supplier's promise, not a commercial term: no re-approval.
        self._require_editable(act, "edit")
        self.expected_date = when
        self.events.append(ev.PurchaseOrderChanged(**act.stamp(self.number), change=f"expected {when}", total=self.total))

    def _changed(self, act: Act, policy: ApprovalPolicy, change: str) -> None:
        reapprove = self.status != POStatus.DRAFT
        self.events.append(
            ev.PurchaseOrderChanged(**act.stamp(self.number), change=change, total=self.total, needs_reapproval=reapprove)
        )
        if reapprove:
            self._request_approval(act, policy)

    # --- approval -----------------------------------------------------------------------------

    def submit(self, act: Act, policy: ApprovalPolicy) -> None:
        act.require(PURCHASING, "submit")
        if self.status != POStatus.DRAFT:
            raise InvalidTransition("po", self.number, self.status, "submit")
        if not self.lines:
            raise InvalidInput("lines", "", "no_lines")
        self.submitted_at = act.at
        self._request_approval(act, policy)

    def _request_approval(self, act: Act, policy: ApprovalPolicy) -> None:
        tier = policy.tier_for(self.total)
        self.approval_round += 1
        self.approvals_needed = tier.approvals
        self.approver_roles = tier.roles
        self.status = POStatus.PENDING
        self.approved_at = None
        if tier.automatic:
            self._approved(act, automatic=True)
            return
        self.events.append(
            ev.PurchaseOrderSubmitted(
                **act.stamp(self.number),
                total=self.total,
                currency=self.currency,
                approvals_needed=tier.approvals,
                approver_roles=tuple(sorted(tier.roles)),
                created_by=self.created_by,
            )
        )

    def _check_decider(self, act: Act, action: str) -> User:
        if self.status in DECIDED:
            raise AlreadyDecided("po", self.number, self.status, action)
        if self.status != POStatus.PENDING:
            raise InvalidTransition("po", self.number, self.status, action)
        user = act.user
        if user is None:
            raise PermissionDenied(action, self.approver_roles)
        user.require(self.approver_roles, action)
        if user.id == self.created_by:
            raise SelfApproval(self.number)
        return user

    def approve(self, act: Act) -> None:
        user = self._check_decider(act, "approve")
        if any(d.user_id == user.id for d in self.approvals()):
            raise AlreadyApproved(self.number, user.id)
        self.decisions.append(Decision(user.id, True, act.at, self.approval_round))
        given = len(self.approvals())
        if given >= self.approvals_needed:
            self._approved(act, automatic=False)
        else:
            self.events.append(
                ev.PurchaseOrderApprovalGiven(**act.stamp(self.number), approvals=given, approvals_needed=self.approvals_needed)
            )

    def _approved(self, act: Act, *, automatic: bool) -> None:
        self.status = POStatus.PARTIAL if self.received_anything else POStatus.APPROVED
        self._settle_receipt_status()
        self.approved_at = act.at
        self.events.append(ev.PurchaseOrderApproved(**act.stamp(self.number), automatic=automatic, created_by=self.created_by))

    def reject(self, act: Act, reason: str) -> None:
        user = self._check_decider(act, "reject")
        if any(d.user_id == user.id for d in self.approvals()):
            # One person decides once per round (also a unique key in storage): not yes, then no.
            raise AlreadyApproved(self.number, user.id)
        reason = _need_reason(reason, "reject")
        self.decisions.append(Decision(user.id, False, act.at, self.approval_round, reason))
        self.status = POStatus.REJECTED
        self.events.append(ev.PurchaseOrderRejected(**act.stamp(self.number), reason=reason, created_by=self.created_by))

    def revise(self, act: Act) -> None:
        act.require(PURCHASING, "revise")
        if self.status != POStatus.REJECTED:
            raise InvalidTransition("po", self.number, self.status, "revise")
        # Also after goods arrived (a rejected change to a PO being received): otherwise it would be
        # stuck in "rejected" for good. Its received lines stay guarded, and approval makes it
        # partially received again.
        self.status = POStatus.DRAFT
        self.events.append(ev.PurchaseOrderRevised(**act.stamp(self.number)))

    def cancel(self, act: Act, reason: str = "") -> None:
        act.require(PURCHASING, "cancel")
        allowed = {POStatus.DRAFT, POStatus.PENDING, POStatus.APPROVED, POStatus.REJECTED}
        if self.status not in allowed or self.received_anything:
            raise InvalidTransition("po", self.number, self.status, "cancel")
        self.status = POStatus.CANCELLED
        self.events.append(ev.PurchaseOrderCancelled(**act.stamp(self.number), reason=reason.strip()))

    def close(self, act: Act) -> None:
        """Close a received PO, or close a partially received one short (cancelling the rest)."""
        act.require(PURCHASING, "close")
        if self.status not in (POStatus.RECEIVED, POStatus.PARTIAL):
            raise InvalidTransition("po", self.number, self.status, "close")
        cancelled = self.open_qty
        self.status = POStatus.CLOSED
        self.events.append(ev.PurchaseOrderClosed(**act.stamp(self.number), short=cancelled > 0, cancelled_qty=cancelled))

    # --- goods --------------------------------------------------------------------------------

    def receive(self, quantities: Mapping[int, Decimal], act: Act, tolerance: Decimal) -> list[StockChange]:
        """Quantities by line number; cumulative, partial allowed, over-receipt within tolerance."""
        act.require(RECEIVING, "receive")
        if self.status not in OPEN_INBOUND:
            raise InvalidTransition("po", self.number, self.status, "receive")
        if not quantities:
            raise InvalidInput("lines", "", "nothing_to_receive")
        changes: list[StockChange] = []
        for line_no, raw in sorted(quantities.items()):
            line = self.line(line_no)
            qty = check_qty(raw)
            allowed = (line.qty * (1 + tolerance)).quantize(Decimal("0.001"), rounding=ROUND_DOWN)  # a limit: never round it up
            if line.received_qty + qty > allowed:
                raise OverReceipt(line.sku, line.qty, line.received_qty, qty, allowed - line.received_qty)
            changes.append(StockChange(line.item_id, self.warehouse_id, qty, Decimal(0), MoveKind.RECEIPT, self.number, line.sku))
        for change, line_no in zip(changes, sorted(quantities), strict=True):
            self.line(line_no).received_qty += change.on_hand_delta
        if self.first_receipt_at is None:
            self.first_receipt_at = act.at
        self.status = POStatus.PARTIAL
        self._settle_receipt_status()
        self.events.append(
            ev.GoodsReceived(
                **act.stamp(self.number),
                lines=tuple((c.sku, str(c.on_hand_delta)) for c in changes),
                complete=self.status == POStatus.RECEIVED,
                created_by=self.created_by,
            )
        )
        return changes

    def receive_all(self, act: Act, tolerance: Decimal) -> list[StockChange]:
        remaining = {ln.line_no: ln.open_qty for ln in self.lines if ln.open_qty > 0}
        if not remaining and self.status in OPEN_INBOUND:
            raise InvalidInput("lines", "", "nothing_to_receive")
        return self.receive(remaining, act, tolerance)

    def return_goods(self, quantities: Mapping[int, Decimal], act: Act, reason: str) -> list[StockChange]:
        act.require(RECEIVING, "return")
        if self.status not in (POStatus.PARTIAL, POStatus.RECEIVED, POStatus.CLOSED):
            raise InvalidTransition("po", self.number, self.status, "return")
        reason = _need_reason(reason, "return")
        if not quantities:
            raise InvalidInput("lines", "", "nothing_to_return")
        changes = []
        for line_no, raw in sorted(quantities.items()):
            line = self.line(line_no)
            qty = check_qty(raw)
            if qty > line.received_qty:
                raise LineConflict(line.sku, "return_exceeds_received", line.received_qty)
            changes.append(StockChange(line.item_id, self.warehouse_id, -qty, Decimal(0), MoveKind.RETURN, self.number, line.sku))
        for change, line_no in zip(changes, sorted(quantities), strict=True):
            self.line(line_no).received_qty += change.on_hand_delta
        if self.status == POStatus.RECEIVED:
            self.status = POStatus.PARTIAL
        self._settle_receipt_status()
        self.events.append(
            ev.GoodsReturned(
                **act.stamp(self.number), lines=tuple((c.sku, str(-c.on_hand_delta)) for c in changes), reason=reason
            )
        )
        return changes

    def _settle_receipt_status(self) -> None:
        if self.status == POStatus.PARTIAL and all(ln.received_qty >= ln.qty for ln in self.lines):
            self.status = POStatus.RECEIVED
        elif self.status == POStatus.PARTIAL and not self.received_anything:
            self.status = POStatus.APPROVED
