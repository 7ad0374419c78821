"""The approval ladder: which tier a PO total falls in, and what a valid ladder looks like."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.approval import DEFAULT_POLICY, ApprovalPolicy, Tier
from domain.errors import InvalidInput
from domain.master import Role
from tests.unit.builders import POLICY

MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})


@pytest.mark.parametrize(
    ("total", "approvals"),
    [
        ("0", 0),
        ("999.99", 0),
        ("1000", 1),
        ("1000.00", 1),
        ("1000.01", 1),
        ("9999.99", 1),
        ("10000", 2),
        ("250000", 2),
    ],
)
def test_a_total_falls_in_the_highest_tier_whose_threshold_it_reaches(total: str, approvals: int) -> None:
    tier = POLICY.tier_for(Decimal(total))

    assert tier.approvals == approvals


def test_a_total_equal_to_a_threshold_belongs_to_that_tier() -> None:
    at_threshold = POLICY.tier_for(Decimal("10000.00"))
    one_cent_below = POLICY.tier_for(Decimal("9999.99"))

    assert at_threshold.threshold == Decimal(10000)
    assert at_threshold.approvals == 2
    assert one_cent_below.approvals == 1


def test_only_the_lowest_tier_approves_automatically() -> None:
    automatic = [tier.automatic for tier in POLICY.tiers]

    assert automatic == [True, False, False]


def test_the_tiers_carry_the_roles_allowed_to_approve() -> None:
    tier = POLICY.tier_for(Decimal(5000))

    assert tier.roles == MANAGERS
    assert Role.BUYER not in tier.roles


def test_the_default_ladder_starts_automatic_and_needs_two_approvals_from_50000() -> None:
    small, big = DEFAULT_POLICY.tier_for(Decimal("4999.99")), DEFAULT_POLICY.tier_for(Decimal(50000))

    assert small.automatic
    assert big.approvals == 2


@pytest.mark.parametrize(
    ("tiers", "reason"),
    [
        ((), "required"),
        ((Tier(Decimal(100), 0, frozenset()),), "first_threshold_must_be_0"),
        ((Tier(Decimal(0), 0, frozenset()), Tier(Decimal(0), 1, MANAGERS)), "thresholds_not_ascending"),
        (
            (Tier(Decimal(0), 0, frozenset()), Tier(Decimal(500), 1, MANAGERS), Tier(Decimal(100), 2, MANAGERS)),
            "thresholds_not_ascending",
        ),
        ((Tier(Decimal(0), 1, frozenset()),), "approvals_need_roles"),
        ((Tier(Decimal(0), -1, MANAGERS),), "approvals_need_roles"),
    ],
)
def test_a_ladder_that_cannot_be_applied_is_refused(tiers: tuple[Tier, ...], reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ApprovalPolicy(tiers)

    assert caught.value.reason == reason


def test_a_ladder_may_require_approval_for_every_po() -> None:
    strict = ApprovalPolicy((Tier(Decimal(0), 1, MANAGERS),))

    tier = strict.tier_for(Decimal(0))

    assert tier.approvals == 1
