"""Apply a validated import in one transaction: master data by code, opening stock as counts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from domain import events as ev
from domain.acts import Act, Source
from domain.errors import InvalidInput, NotFound
from domain.importing import ImportReport, Record
from domain.master import ADJUSTING, MASTER_DATA, Customer, Item, Supplier
from domain.ports import UnitOfWork
from domain.services.base import Env
from domain.services.lowstock import after_stock_change
from domain.stock import MoveKind, StockChange


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ref: str = ""  # the ledger reference of opening-stock moves


async def apply_import(report: ImportReport, uow: UnitOfWork, env: Env, *, actor_id: int | None = None) -> ImportResult:
    """Everything or nothing: one unit of work; a record that fails rolls the whole file back."""
    if not report.ok:
        raise InvalidInput("file", report.kind, "invalid_file")
    async with uow:
        user = await uow.users.get(actor_id) if actor_id is not None else None
        act = Act(user, env.now(), Source.IMPORT)
        if report.kind == "stock":
            act.require(ADJUSTING, "adjust")
            result = await _stock(report.records, uow, env, act)
        else:
            act.require(MASTER_DATA, f"import_{report.kind}")
            apply = _items if report.kind == "items" else _partners
            result = await apply(report.kind, report.records, uow)
        summary = f"import created={result.created} updated={result.updated} unchanged={result.unchanged}"
        uow.record([ev.MasterDataChanged(**act.stamp(f"import:{report.kind}"), kind=report.kind, change=summary)])
        await uow.commit()
        return result


async def _items(kind: str, records: list[Record], uow: UnitOfWork) -> ImportResult:
    suppliers: dict[str, int | None] = {}
    created = updated = unchanged = 0
    for rec in records:
        values: dict[str, Any] = {k: v for k, v in rec.values.items() if k != "supplier"}
        if "supplier" in rec.values:
            code = rec.values["supplier"]
            if code and code.lower() not in suppliers:
                suppliers[code.lower()] = (await uow.suppliers.by_code(code)).id
            values["default_supplier_id"] = suppliers[code.lower()] if code else None
        try:
            old = await uow.items.by_sku(rec.key)
        except NotFound:
            await uow.items.add(Item(**values))
            created += 1
            continue
        new = replace(old, **{k: v for k, v in values.items() if k != "sku"})
        if new == old:
            unchanged += 1
        else:
            await uow.items.update(new)
            updated += 1
    return ImportResult(created, updated, unchanged)


async def _partners(kind: str, records: list[Record], uow: UnitOfWork) -> ImportResult:
    repo: Any = uow.suppliers if kind == "suppliers" else uow.customers
    factory: type[Supplier] | type[Customer] = Supplier if kind == "suppliers" else Customer
    created = updated = unchanged = 0
    for rec in records:
        try:
            old = await repo.by_code(rec.key)
        except NotFound:
            await repo.add(factory(**rec.values))
            created += 1
            continue
        new = replace(old, **{k: v for k, v in rec.values.items() if k != "code"})
        if new == old:
            unchanged += 1
        else:
            await repo.update(new)
            updated += 1
    return ImportResult(created, updated, unchanged)


async def _stock(records: list[Record], uow: UnitOfWork, env: Env, act: Act) -> ImportResult:
    """The file's quantity is a count: only the difference is posted, so importing twice is a no-op."""
    warehouses: dict[str, int] = {}
    targets: list[tuple[Item, int, Decimal]] = []
    for rec in records:
        code = rec.values.get("warehouse", "MAIN")
        if code not in warehouses:
            warehouses[code] = (await uow.warehouses.by_code(code)).id
        item = await uow.items.by_sku(rec.key)
        assert item.id is not None
        targets.append((item, warehouses[code], rec.values["qty"]))
    balances = await uow.stock.lock([(item.id, wh) for item, wh, _ in targets if item.id is not None])
    pending = [(item, wh, qty - balances[(item.id, wh)].on_hand) for item, wh, qty in targets if item.id is not None]
    pending = [p for p in pending if p[2] != 0]
    if not pending:
        return ImportResult(unchanged=len(records))
    year = env.today().year
    ref = f"IMP-{year}-{await uow.sequences.next(f'IMP-{year}'):05d}"
    changes = [
        StockChange(item.id, wh, delta, Decimal(0), MoveKind.ADJUSTMENT, ref, item.sku)
        for item, wh, delta in pending
        if item.id is not None
    ]
    await uow.stock.apply(changes, act)
    await after_stock_change(uow, act, changes)
    return ImportResult(updated=len(changes), unchanged=len(records) - len(changes), ref=ref)
