"""Domain failures. Each carries what a user needs to understand and fix the problem."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class DomainError(Exception):
    """Base of every expected failure; the front end maps each to a friendly message."""

    code = "domain_error"


class InvalidInput(DomainError):
    code = "invalid_input"

    def __init__(self, field: str, value: str, reason: str) -> None:
        super().__init__(f"{field}={value!r}: {reason}")
        self.field, self.value, self.reason = field, value, reason


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, kind: str, ref: object) -> None:
        super().__init__(f"{kind} {ref!r} not found")
        self.kind, self.ref = kind, ref


class DuplicateCode(DomainError):
    code = "duplicate"

    def __init__(self, kind: str, ref: str) -> None:
        super().__init__(f"{kind} {ref!r} already exists")
        self.kind, self.ref = kind, ref


class PermissionDenied(DomainError):
    code = "permission_denied"

    def __init__(self, action: str, allowed: frozenset[str] | None = None, why: str = "role") -> None:
        super().__init__(f"not allowed to {action} ({why})")
        self.action, self.allowed, self.why = action, allowed or frozenset(), why


class InvalidTransition(DomainError):
    """The record is not in a state that allows the action (stale button, double tap...)."""

    code = "wrong_state"

    def __init__(self, kind: str, ref: str, state: str, action: str) -> None:
        super().__init__(f"cannot {action} {kind} {ref} in state {state}")
        self.kind, self.ref, self.state, self.action = kind, ref, state, action


class AlreadyDecided(InvalidTransition):
    code = "already_decided"


class AlreadyApproved(DomainError):
    code = "already_approved"

    def __init__(self, ref: str, user_id: int) -> None:
        super().__init__(f"user {user_id} already approved {ref}")
        self.ref, self.user_id = ref, user_id


class SelfApproval(DomainError):
    code = "self_approval"

    def __init__(self, ref: str) -> None:
        super().__init__(f"the creator of {ref} cannot approve it")
        self.ref = ref


class ReasonRequired(DomainError):
    code = "reason_required"

    def __init__(self, action: str) -> None:
        super().__init__(f"{action} needs a reason")
        self.action = action


@dataclass(frozen=True, slots=True)
class Shortage:
    sku: str
    warehouse: str
    requested: Decimal
    available: Decimal


class InsufficientStock(DomainError):
    """Every short line at once, so the user can fix the whole order in one go."""

    code = "insufficient_stock"

    def __init__(self, shortages: list[Shortage]) -> None:
        text = ", ".join(f"{s.sku}@{s.warehouse}: {s.requested} > {s.available}" for s in shortages)
        super().__init__(f"not enough stock: {text}")
        self.shortages = tuple(shortages)


class OverReceipt(DomainError):
    code = "over_receipt"

    def __init__(self, sku: str, ordered: Decimal, received: Decimal, attempted: Decimal, allowed: Decimal) -> None:
        super().__init__(f"{sku}: receiving {attempted} exceeds ordered {ordered} (received {received}, max {allowed})")
        self.sku, self.ordered, self.received = sku, ordered, received
        self.attempted, self.allowed = attempted, allowed


class OverShipment(DomainError):
    code = "over_shipment"

    def __init__(self, sku: str, remaining: Decimal, attempted: Decimal) -> None:
        super().__init__(f"{sku}: shipping {attempted} exceeds the {remaining} left to ship")
        self.sku, self.remaining, self.attempted = sku, remaining, attempted


class LineConflict(DomainError):
    """A line change that would contradict what already happened (e.g. below received)."""

    code = "line_conflict"

    def __init__(self, sku: str, reason: str, limit: Decimal | None = None) -> None:
        super().__init__(f"{sku}: {reason}")
        self.sku, self.reason, self.limit = sku, reason, limit


class AlreadyApplied(DomainError):
    """This very request (the same idempotency key) has already been carried out."""

    code = "already_applied"

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class Outdated(DomainError):
    """The person acted on an older view of the record (a stale button); nothing was changed."""

    code = "outdated"

    def __init__(self, kind: str, ref: str, state: str) -> None:
        super().__init__(f"{kind} {ref} changed; now {state}")
        self.kind, self.ref, self.state = kind, ref, state


class ConcurrencyConflict(DomainError):
    """Someone else changed the record first; the runner retries the use case."""

    code = "conflict"
