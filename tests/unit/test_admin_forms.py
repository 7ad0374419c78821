"""The one-line forms of /users, /item, /supplier and /customer (handlers/admin_forms.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import InvalidInput
from domain.master import Role
from handlers.admin_forms import (
    parse_item_set,
    parse_new_item,
    parse_new_partner,
    parse_new_user,
    parse_role_changes,
    role_mask,
    roles_in,
)


def test_the_roles_are_the_trailing_words_that_name_roles() -> None:
    assert parse_new_user("123 Li Lei buyer,sales") == (123, "Li Lei", ("buyer", "sales"), None)
    assert parse_new_user("１２３ 王 小明 采购 仓库 lang=EN") == (123, "王 小明", ("buyer", "warehouse"), "en")
    assert parse_new_user("123 Sam Sales viewer") == (123, "Sam Sales", ("viewer",), None)  # capitalised: part of the name


def test_role_changes_set_exactly_or_add_and_take() -> None:
    current = frozenset({Role.BUYER, Role.SALES})

    assert parse_role_changes(["+viewer", "-sales"], current) == ("buyer", "viewer")
    assert parse_role_changes(["manager"], current) == ("manager",)
    with pytest.raises(InvalidInput, match="unknown_role"):
        parse_role_changes(["+chef"], current)


def test_a_role_mask_round_trips() -> None:
    for roles in (frozenset(), frozenset(Role), frozenset({Role.ADMIN, Role.VIEWER})):
        assert roles_in(role_mask(roles)) == roles


def test_new_item_options() -> None:
    values = parse_new_item("Z-9 Big widget unit=box rop=1,000 max=2000 qty=50 pack=６ supplier=ACME lead=7")

    assert values == {
        "sku": "Z-9",
        "name": "Big widget",
        "unit": "box",
        "reorder_point": Decimal(1000),
        "max_qty": Decimal(2000),
        "reorder_qty": Decimal(50),
        "pack_size": Decimal(6),
        "default_supplier": "ACME",
        "lead_time_days": 7,
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Z-9", "required"),
        ("Z/9 Name", "bad_code"),
        ("Z-9 Name rop=-1", "must_be_positive"),
        ("Z-9 Name pack=0", "must_be_positive"),
        ("Z-9 Name max=5 rop=6", "below_reorder_point"),
        ("Z-9 Name lead=1.5", "not_an_integer"),
        ("Z-9 Name name=x", "unknown_option"),
        ("Z-9 Name unit=a unit=b", "option_twice"),
    ],
)
def test_new_item_refusals(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_new_item(text)

    assert caught.value.reason == reason


def test_item_set_and_partner_forms() -> None:
    assert parse_item_set(["rop", "15"]) == {"reorder_point": Decimal(15)}
    assert parse_item_set(["name", "Hex", "bolt"]) == {"name": "Hex bolt"}
    assert parse_item_set(["max", "none"]) == {"clear": ("max_qty",)}
    assert parse_item_set(["supplier", "无"]) == {"clear": ("default_supplier",)}
    with pytest.raises(InvalidInput):
        parse_item_set(["rop", "none"])  # a reorder point is never empty
    with pytest.raises(InvalidInput, match="not_editable"):
        parse_item_set(["unit", "kg"])
    assert parse_new_partner("foo Foo Co currency=usd lead=3 terms=30d", "supplier") == {
        "code": "FOO",
        "name": "Foo Co",
        "currency": "USD",
        "lead_time_days": 3,
        "payment_terms": "30d",
    }
    with pytest.raises(InvalidInput, match="unknown_option"):
        parse_new_partner("BAR Bar lead=3", "customer")
