"""Items, suppliers, customers and users: created and edited by admins and managers."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain import commands as c
from domain import events as ev
from domain.errors import InvalidInput, Outdated
from domain.master import ADMINISTRATION, MASTER_DATA, Customer, Item, Role, Supplier, User
from domain.ports import UnitOfWork
from domain.services.base import Env, act_for

# The counter every change of roles or of the active flag takes first: its row lock (until
# commit) serialises those changes, so none can decide on an admin that another just removed.
ROSTER = "user_roles"


def parse_roles(names: tuple[str, ...]) -> frozenset[Role]:
    try:
        roles = frozenset(Role(n.strip().lower()) for n in names)
    except ValueError as exc:
        raise InvalidInput("roles", ",".join(names), "unknown_role") from exc
    if not roles:
        raise InvalidInput("roles", "", "required")
    return roles


async def _active_supplier(uow: UnitOfWork, code: str) -> Supplier:
    supplier = await uow.suppliers.by_code(code)
    if not supplier.active:  # new orders could not be placed with it
        raise InvalidInput("supplier", supplier.code, "inactive_supplier")
    return supplier


async def create_item(cmd: c.CreateItem, uow: UnitOfWork, env: Env) -> Item:
    async with uow:
        act = await act_for(cmd, uow, env)
        act.require(MASTER_DATA, "create_item")
        supplier = await _active_supplier(uow, cmd.default_supplier) if cmd.default_supplier else None
        item = Item(
            sku=cmd.sku,
            name=cmd.name,
            unit=cmd.unit,
            barcode=cmd.barcode,
            category=cmd.category,
            reorder_point=cmd.reorder_point,
            reorder_qty=cmd.reorder_qty,
            max_qty=cmd.max_qty,
            pack_size=cmd.pack_size,
            lead_time_days=cmd.lead_time_days,
            default_supplier_id=supplier.id if supplier else None,
            std_cost=cmd.std_cost,
        )
        item = await uow.items.add(item)
        uow.record([ev.MasterDataChanged(**act.stamp(item.sku), kind="item", change="created")])
        await uow.commit()
        return item


async def update_item(cmd: c.UpdateItem, uow: UnitOfWork, env: Env) -> Item:
    async with uow:
        act = await act_for(cmd, uow, env)
        act.require(MASTER_DATA, "edit_item")
        item = await uow.items.by_sku(cmd.sku)
        if cmd.expected_version is not None and item.version != cmd.expected_version:
            raise Outdated("item", item.sku, "active" if item.active else "inactive")
        changes: dict[str, Any] = {
            name: getattr(cmd, name)
            for name in ("name", "reorder_point", "reorder_qty", "max_qty", "pack_size", "active")
            if getattr(cmd, name) is not None
        }
        if cmd.default_supplier is not None:
            changes["default_supplier_id"] = (await _active_supplier(uow, cmd.default_supplier)).id
        for name in cmd.clear:
            if name not in ("max_qty", "default_supplier"):
                raise InvalidInput("field", name, "not_clearable")
            changes["default_supplier_id" if name == "default_supplier" else name] = None
        if not changes:
            raise InvalidInput("item", cmd.sku, "nothing_to_change")
        updated = replace(item, **changes)  # re-validates through __post_init__
        await uow.items.update(updated)
        summary = ", ".join(f"{k}={v}" for k, v in changes.items())
        uow.record([ev.MasterDataChanged(**act.stamp(item.sku), kind="item", change=summary)])
        await uow.commit()
        return updated


async def create_partner(cmd: c.CreatePartner, uow: UnitOfWork, env: Env) -> Supplier | Customer:
    async with uow:
        act = await act_for(cmd, uow, env)
        act.require(MASTER_DATA, f"create_{cmd.kind}")
        fields = {
            "code": cmd.code,
            "name": cmd.name,
            "phone": cmd.phone,
            "email": cmd.email,
            "chat": cmd.chat,
            "currency": cmd.currency,
            "payment_terms": cmd.payment_terms,
        }
        partner: Supplier | Customer
        if cmd.kind == "supplier":
            partner = await uow.suppliers.add(Supplier(**fields, lead_time_days=cmd.lead_time_days))  # type: ignore[arg-type]
        elif cmd.kind == "customer":
            partner = await uow.customers.add(Customer(**fields))  # type: ignore[arg-type]
        else:
            raise InvalidInput("kind", cmd.kind, "unknown_kind")
        uow.record([ev.MasterDataChanged(**act.stamp(f"{cmd.kind}:{partner.code}"), kind=cmd.kind, change="created")])
        await uow.commit()
        return partner


async def set_partner_active(cmd: c.SetPartnerActive, uow: UnitOfWork, env: Env) -> Supplier | Customer:
    """Deactivated partners stay on their orders and in history; new orders refuse them."""
    async with uow:
        act = await act_for(cmd, uow, env)
        act.require(MASTER_DATA, f"edit_{cmd.kind}")
        partner: Supplier | Customer
        if cmd.kind == "supplier":
            supplier = replace(await uow.suppliers.by_code(cmd.code), active=cmd.active)
            await uow.suppliers.update(supplier)
            partner = supplier
        elif cmd.kind == "customer":
            customer = replace(await uow.customers.by_code(cmd.code), active=cmd.active)
            await uow.customers.update(customer)
            partner = customer
        else:
            raise InvalidInput("kind", cmd.kind, "unknown_kind")
        change = "activated" if cmd.active else "deactivated"
        uow.record([ev.MasterDataChanged(**act.stamp(f"{cmd.kind}:{partner.code}"), kind=cmd.kind, change=change)])
        await uow.commit()
        return partner


async def register_user(cmd: c.RegisterUser, uow: UnitOfWork, env: Env) -> User:
    async with uow:
        act = await act_for(cmd, uow, env)
        act.require(ADMINISTRATION, "register_user")
        user = User(cmd.user_id, cmd.name, parse_roles(cmd.roles), cmd.language)
        await uow.users.add(user)
        uow.record(
            [ev.MasterDataChanged(**act.stamp(f"user:{user.id}"), kind="user", change=f"roles={','.join(sorted(user.roles))}")]
        )
        await uow.commit()
        return user


async def set_user_roles(cmd: c.SetUserRoles, uow: UnitOfWork, env: Env) -> User:
    """Someone's roles and active flag, changed by an admin, never leaving the company without an
    active admin. An admin cannot take away their own admin role or deactivate themselves, so
    whoever loses admin rights here, the acting admin remains one: at least one other active admin.

    That holds only if the actor is still an admin when this commits. Two admins taking each
    other's admin role away at once would each see the other as an admin, and both commit. So
    every change of roles first takes the ROSTER counter's row lock (held to commit; on SQLite
    the write lock taken at BEGIN serialises anyway), and only then loads the actor and the
    person: the second of the two sees that they are no admin any more, and is refused."""
    async with uow:
        await uow.sequences.next(ROSTER)  # before any read: the reads below see every change committed before us
        act = await act_for(cmd, uow, env)
        act.require(ADMINISTRATION, "set_roles")
        user = await uow.users.get(cmd.user_id)
        updated = replace(user, roles=parse_roles(cmd.roles), active=cmd.active)
        if user.id == act.actor_id and not updated.may(ADMINISTRATION):
            # An admin cannot lock themselves out (and maybe the company with them): another admin must.
            raise InvalidInput("roles", ",".join(sorted(updated.roles)), "own_admin")
        await uow.users.update(updated)
        change = f"roles={','.join(sorted(updated.roles))} active={updated.active}"
        uow.record([ev.MasterDataChanged(**act.stamp(f"user:{user.id}"), kind="user", change=change)])
        await uow.commit()
        return updated
