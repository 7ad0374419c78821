"""What every use case shares: the rules in force, the clock, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from domain.acts import Act, Source
from domain.approval import DEFAULT_POLICY, ApprovalPolicy
from domain.commands import Command
from domain.errors import InvalidInput, Outdated
from domain.ports import Clock, UnitOfWork
from domain.values import local_date


@dataclass(frozen=True, slots=True)
class Env:
    clock: Clock
    policy: ApprovalPolicy = DEFAULT_POLICY
    receipt_tolerance: Decimal = Decimal(0)  # 0.05 = 5 % over-receipt allowed
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    currency: str = "CNY"

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return local_date(self.clock.now(), self.timezone)


class _Versioned(Protocol):
    number: str
    version: int

    @property
    def status(self) -> str: ...


V = TypeVar("V", bound=_Versioned)


def as_seen(cmd: Command, kind: str, order: V) -> V:
    """The order, provided it is still the version the person acted on (see Command.expected_version)."""
    if cmd.expected_version is not None and order.version != cmd.expected_version:
        raise Outdated(kind, order.number, order.status)
    return order


async def act_for(cmd: Command, uow: UnitOfWork, env: Env) -> Act:
    """Load the acting user afresh in this transaction, so a role removed a second ago counts."""
    user = await uow.users.get(cmd.actor_id) if cmd.actor_id is not None else None
    try:
        source = Source(cmd.source)
    except ValueError as exc:
        raise InvalidInput("source", cmd.source, "unknown_source") from exc
    return Act(user, env.now(), source)


def check_future_date(value: date | None, env: Env, field_name: str) -> date | None:
    if value is not None and value < env.today():
        raise InvalidInput(field_name, value.isoformat(), "in_past")
    return value
