"""Alert kinds, and whom each notifying event concerns (SPEC §4, ADR 0008).

Routing works on outbox rows (an event's name and its payload as stored), so these functions
take plain data. Groups and forum topics subscribe to kinds (bindings); people are concerned by
role or by name. Whoever caused the event is never told about it personally: they just saw it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.master import Role


class AlertKind(StrEnum):
    LOW_STOCK = "low_stock"
    OVERDUE_INBOUND = "overdue_inbound"
    OVERDUE_OUTBOUND = "overdue_outbound"
    APPROVAL_REQUEST = "approval_request"
    APPROVAL_REMINDER = "approval_reminder"
    DECISION = "decision"
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    DAILY_DIGEST = "daily_digest"
    # Not an event of its own: where escalated alerts (an order late for days, an approval
    # waiting too long) go besides their kind's chats — bind it in the managers' group.
    ESCALATION = "escalation"


KINDS: tuple[str, ...] = tuple(k.value for k in AlertKind)
PERSONAL_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k != AlertKind.ESCALATION)  # /settings

# The notifying events people hear about. Any other event (a cancellation, a closed PO, a
# confirmed SO, an adjustment) is shown on its card and in /history, and alerts nobody.
KIND_OF_EVENT: Mapping[str, AlertKind] = {
    "PurchaseOrderSubmitted": AlertKind.APPROVAL_REQUEST,
    "ApprovalReminder": AlertKind.APPROVAL_REMINDER,
    "PurchaseOrderApprovalGiven": AlertKind.DECISION,
    "PurchaseOrderApproved": AlertKind.DECISION,
    "PurchaseOrderRejected": AlertKind.DECISION,
    "GoodsReceived": AlertKind.RECEIPT,
    # Stock for a waiting sales order means that order can ship now: news for the outbound side,
    # which subscribes to shipments, not for whoever follows goods coming in.
    "BackorderReserved": AlertKind.SHIPMENT,
    "SalesOrderShipped": AlertKind.SHIPMENT,
    "StockFellBelowReorderPoint": AlertKind.LOW_STOCK,
    "PurchaseOrderOverdue": AlertKind.OVERDUE_INBOUND,
    "SalesOrderOverdue": AlertKind.OVERDUE_OUTBOUND,
    "DailyDigestDue": AlertKind.DAILY_DIGEST,
}


def parse_kinds(words: Collection[str]) -> tuple[list[AlertKind], list[str]]:
    """The kinds named (`all` for every kind), in KINDS order, and the words that are none.
    Words may also be separated by commas (people type `low_stock, receipt`)."""
    wanted = {w.strip().lower() for word in words for w in word.replace("，", ",").split(",") if w.strip()}
    if "all" in wanted:
        return list(AlertKind), sorted(wanted - {"all", *KINDS})
    return [k for k in AlertKind if k.value in wanted], sorted(wanted - set(KINDS))


@dataclass(frozen=True, slots=True)
class ChatPlace:
    """A chat, or one forum topic of it, that alerts can be bound to."""

    chat_id: int
    thread_id: int  # 0: the chat itself
    chat_type: str  # private, group, supergroup, channel (as Telegram says)
    title: str | None = None

    @property
    def is_group(self) -> bool:
        return self.chat_type in ("group", "supergroup")


@dataclass(frozen=True, slots=True)
class Audience:
    """Who hears about one event besides the chats bound to its kind."""

    kind: AlertKind
    roles: frozenset[Role] = frozenset()  # everyone active with one of these roles
    users: frozenset[int] = frozenset()  # these people by id
    exclude: frozenset[int] = frozenset()  # never these, whatever their roles
    groups: bool = True  # False: a personal note only, bound chats do not get it
    escalated: bool = False  # also to the chats bound to `escalation`


def _ids(*values: object) -> frozenset[int]:
    return frozenset(v for v in values if isinstance(v, int) and not isinstance(v, bool) and v > 0)


def _id_list(value: object) -> frozenset[int]:
    return _ids(*value) if isinstance(value, list | tuple) else frozenset()


def _roles(value: object) -> frozenset[Role]:
    names = value.split(",") if isinstance(value, str) else value if isinstance(value, list | tuple) else ()
    return frozenset(Role(n) for n in names if n in Role.__members__.values())


def audience(event: str, payload: Mapping[str, object]) -> Audience | None:
    """Whom the event `event` (its name) with this payload concerns; None: nobody.

    Some events do not carry everything about their PO; routing adds it from the PO as it is
    now: `created_by` (for PurchaseOrderApprovalGiven), and for ApprovalReminder
    `approver_roles` (role names; empty once the PO is no longer pending) and `decided` (ids of
    those who already approved this round).
    """
    kind = KIND_OF_EVENT.get(event)
    if kind is None:
        return None
    actor = _ids(payload.get("actor_id"))
    creator = _ids(payload.get("created_by"))
    escalate = bool(payload.get("escalate"))
    escalated = frozenset({Role.MANAGER}) if escalate else frozenset()
    match kind:
        case AlertKind.APPROVAL_REQUEST | AlertKind.APPROVAL_REMINDER:
            approvers = _roles(payload.get("approver_roles"))
            if not approvers:  # approved automatically, or decided before the reminder went out
                return None
            decided = _id_list(payload.get("decided"))
            return Audience(kind, roles=approvers | escalated, exclude=creator | decided | actor, escalated=escalate)
        case AlertKind.DECISION:
            if event == "PurchaseOrderApprovalGiven":  # progress, not an outcome: the buyer only
                return Audience(kind, users=creator, exclude=actor, groups=False)
            # Approved goods are on their way: the warehouse plans for them.
            warehouse = frozenset({Role.WAREHOUSE}) if event == "PurchaseOrderApproved" else frozenset()
            return Audience(kind, roles=warehouse, users=creator, exclude=actor)
        case AlertKind.RECEIPT | AlertKind.OVERDUE_INBOUND | AlertKind.OVERDUE_OUTBOUND:
            return Audience(kind, roles=escalated, users=creator, exclude=actor, escalated=escalate)
        case AlertKind.SHIPMENT:
            return Audience(kind, roles=frozenset({Role.SALES}), exclude=actor)
        case AlertKind.LOW_STOCK:
            # Not minus the actor: whoever shipped the last units was not told the item is low.
            return Audience(kind, roles=frozenset({Role.BUYER}))
        case AlertKind.DAILY_DIGEST:
            return Audience(kind)  # the bound chats only
        case AlertKind.ESCALATION:  # pragma: no cover - no event is of this kind
            return None
    return None  # pragma: no cover - every kind is matched above
