"""The approval ladder: tiers by PO total, each needing N distinct approvals from given roles."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.errors import InvalidInput
from domain.master import Role


@dataclass(frozen=True, slots=True)
class Tier:
    threshold: Decimal  # a total equal to the threshold belongs to this tier
    approvals: int  # 0 = approved automatically on submit
    roles: frozenset[Role]

    @property
    def automatic(self) -> bool:
        return self.approvals == 0


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    tiers: tuple[Tier, ...]

    def __post_init__(self) -> None:
        if not self.tiers:
            raise InvalidInput("approval.tiers", "[]", "required")
        thresholds = [t.threshold for t in self.tiers]
        if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds):
            raise InvalidInput("approval.tiers", ", ".join(map(str, thresholds)), "thresholds_not_ascending")
        if thresholds[0] != 0:
            raise InvalidInput("approval.tiers", str(thresholds[0]), "first_threshold_must_be_0")
        for tier in self.tiers:
            if tier.approvals < 0 or (tier.approvals and not tier.roles):
                raise InvalidInput("approval.tiers", str(tier.threshold), "approvals_need_roles")

    def tier_for(self, total: Decimal) -> Tier:
        chosen = self.tiers[0]
        for tier in self.tiers:
            if total >= tier.threshold:
                chosen = tier
        return chosen


DEFAULT_POLICY = ApprovalPolicy(
    (
        Tier(Decimal(0), 0, frozenset()),
        Tier(Decimal(5000), 1, frozenset({Role.MANAGER, Role.ADMIN})),
        Tier(Decimal(50000), 2, frozenset({Role.MANAGER, Role.ADMIN})),
    )
)
