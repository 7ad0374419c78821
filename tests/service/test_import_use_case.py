"""The import use case on the in-memory fakes: through the Bus, one commit, one audit event."""

from __future__ import annotations

from decimal import Decimal

from domain.importing import Known, validate
from domain.services.bus import Bus
from domain.services.importing import ApplyImport
from tests.service.fakes import Store


def known(store: Store) -> Known:
    return Known(
        suppliers=frozenset(s.code.lower() for s in store.suppliers.values()),
        items=frozenset(i.key for i in store.items.values()),
    )


async def test_items_are_created_then_updated_by_code_in_one_commit_each(bus: Bus, store: Store) -> None:
    table = [["sku", "name", "supplier"], ["N-1", "Hinge", "acme"], ["a-1", "Bolt M6", ""]]
    commits = store.commits

    first = await bus.handle(ApplyImport(actor_id=None, report=validate("items", table, known(store))))
    again = await bus.handle(ApplyImport(actor_id=None, report=validate("items", table, known(store))))

    assert (first.created, first.updated, first.unchanged) == (1, 1, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert store.commits == commits + 2
    assert [e.name for e in store.events] == ["MasterDataChanged", "MasterDataChanged"]
    bolt = next(i for i in store.items.values() if i.key == "a-1")
    hinge = next(i for i in store.items.values() if i.key == "n-1")
    assert (bolt.name, bolt.default_supplier_id, bolt.version) == ("Bolt M6", None, 1)
    assert hinge.default_supplier_id == next(iter(store.suppliers.values())).id


async def test_opening_stock_twice_posts_once(bus: Bus, store: Store) -> None:
    table = [["sku", "qty"], ["A-1", "40"], ["B-2", "0"]]

    first = await bus.handle(ApplyImport(actor_id=None, report=validate("stock", table, known(store))))
    second = await bus.handle(ApplyImport(actor_id=None, report=validate("stock", table, known(store))))

    assert (first.updated, first.unchanged, first.ref) == (1, 1, "IMP-2026-00001")
    assert (second.updated, second.unchanged) == (0, 2)
    assert [m[2] for m in store.moves] == [Decimal(40)]
