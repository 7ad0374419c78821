from __future__ import annotations

from decimal import Decimal

import pytest

from domain import commands as c
from domain.master import Role, User
from domain.services.base import Env
from domain.services.bus import Bus
from tests.service.fakes import FakeUnitOfWork, Store
from tests.support import ADMIN, BUYER, MANAGER, MANAGER2, POLICY, SALES, WAREHOUSE, FrozenClock


@pytest.fixture
def store() -> Store:
    s = Store()
    s.users[ADMIN] = User(ADMIN, "Ada", frozenset({Role.ADMIN}))
    return s


@pytest.fixture
async def bus(store: Store) -> Bus:
    bus = Bus(lambda: FakeUnitOfWork(store), Env(clock=FrozenClock(), policy=POLICY))
    for uid, role in [(MANAGER, "manager"), (MANAGER2, "manager"), (BUYER, "buyer"), (WAREHOUSE, "warehouse"), (SALES, "sales")]:
        await bus.handle(c.RegisterUser(actor_id=ADMIN, user_id=uid, name=f"user {uid}", roles=(role,)))
    await bus.handle(c.CreatePartner(actor_id=ADMIN, kind="supplier", code="ACME", name="Acme"))
    await bus.handle(c.CreatePartner(actor_id=ADMIN, kind="customer", code="SHOP", name="Shop"))
    await bus.handle(
        c.CreateItem(
            actor_id=ADMIN, sku="A-1", name="Bolt", reorder_point=Decimal(20), reorder_qty=Decimal(50), default_supplier="ACME"
        )
    )
    await bus.handle(c.CreateItem(actor_id=ADMIN, sku="B-2", name="Nut", default_supplier="ACME"))
    store.events.clear()
    return bus
