"""Apply a validated import in one transaction: master data by code, opening stock as counts.

Records go to storage in chunks through the repositories' bulk paths (one lookup, one insert
and one update per chunk instead of a few statements per record), so 100,000 rows take seconds.
The use case runs on the Bus like any other: a concurrent writer that got there first (a SKU
created meanwhile, an item edited meanwhile) makes the whole file retry on a fresh transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

from domain import events as ev
from domain.acts import Act, Source
from domain.commands import Command
from domain.errors import ConcurrencyConflict, DuplicateCode, InvalidInput, NotFound
from domain.importing import ImportReport, Record
from domain.master import ADJUSTING, MAIN_WAREHOUSE, MASTER_DATA, Customer, Item, Supplier
from domain.ports import UnitOfWork
from domain.services.base import Env
from domain.services.lowstock import after_stock_change
from domain.stock import Balance, MoveKind, StockChange

CHUNK = 2_000  # records per bulk step (and per progress report)

Progress = Callable[[int, int], None]  # (records applied so far, records in the file)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ref: str = ""  # the ledger reference of opening-stock moves


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyImport(Command):
    """Apply a report that `domain.importing.validate` found valid; all or nothing."""

    report: ImportReport
    source: str = Source.IMPORT.value
    progress: Progress | None = field(default=None, compare=False)


async def import_file(cmd: ApplyImport, uow: UnitOfWork, env: Env) -> ImportResult:
    """The Bus's use case (retried on a concurrency conflict)."""
    return await apply_import(cmd.report, uow, env, actor_id=cmd.actor_id, progress=cmd.progress)


async def apply_import(
    report: ImportReport, uow: UnitOfWork, env: Env, *, actor_id: int | None = None, progress: Progress | None = None
) -> ImportResult:
    """Everything or nothing: one unit of work; a record that fails rolls the whole file back."""
    if not report.ok:
        raise InvalidInput("file", report.kind, "invalid_file")
    tick = progress or (lambda done, total: None)
    async with uow:
        user = await uow.users.get(actor_id) if actor_id is not None else None
        act = Act(user, env.now(), Source.IMPORT)
        if report.kind == "stock":
            act.require(ADJUSTING, "adjust")
            result = await _stock(report.records, uow, env, act, tick)
        elif report.kind == "items":
            act.require(MASTER_DATA, "import_items")
            result = await _items(report.records, uow, tick)
        else:
            act.require(MASTER_DATA, f"import_{report.kind}")
            result = await _partners(report.kind, report.records, uow, tick)
        summary = f"import created={result.created} updated={result.updated} unchanged={result.unchanged}"
        uow.record([ev.MasterDataChanged(**act.stamp(f"import:{report.kind}"), kind=report.kind, change=summary)])
        await uow.commit()
        return result


def _chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _raced(exc: DuplicateCode) -> ConcurrencyConflict:
    # Looked up as new a moment ago in this transaction: someone created it since. A retry
    # sees it and updates it instead.
    return ConcurrencyConflict(f"{exc.kind} {exc.ref} created meanwhile")


async def _items(records: list[Record], uow: UnitOfWork, tick: Progress) -> ImportResult:
    codes = {rec.values["supplier"].lower() for rec in records if rec.values.get("supplier")}
    suppliers = await uow.suppliers.by_codes(codes)
    for code in codes - suppliers.keys():
        raise NotFound("supplier", code)
    created = updated = unchanged = done = 0
    for chunk in _chunks(records):
        existing = await uow.items.by_skus([rec.key for rec in chunk])
        new: list[Item] = []
        changed: list[Item] = []
        for rec in chunk:
            values: dict[str, Any] = {k: v for k, v in rec.values.items() if k != "supplier"}
            if "supplier" in rec.values:
                code = rec.values["supplier"]
                values["default_supplier_id"] = suppliers[code.lower()].id if code else None
            old = existing.get(rec.key.lower())
            if old is None:
                new.append(Item(**values))
                continue
            fresh = replace(old, **{k: v for k, v in values.items() if k != "sku"})
            if fresh == old:
                unchanged += 1
            else:
                changed.append(fresh)
        try:
            await uow.items.add_many(new)
        except DuplicateCode as exc:
            raise _raced(exc) from exc
        await uow.items.update_many(changed)
        created, updated, done = created + len(new), updated + len(changed), done + len(chunk)
        tick(done, len(records))
    return ImportResult(created, updated, unchanged)


async def _partners(kind: str, records: list[Record], uow: UnitOfWork, tick: Progress) -> ImportResult:
    repo: Any = uow.suppliers if kind == "suppliers" else uow.customers
    factory: type[Supplier] | type[Customer] = Supplier if kind == "suppliers" else Customer
    created = updated = unchanged = done = 0
    for chunk in _chunks(records):
        existing = await repo.by_codes([rec.key for rec in chunk])
        new: list[Any] = []
        changed: list[Any] = []
        for rec in chunk:
            old = existing.get(rec.key.lower())
            if old is None:
                new.append(factory(**rec.values))
                continue
            fresh = replace(old, **{k: v for k, v in rec.values.items() if k != "code"})
            if fresh == old:
                unchanged += 1
            else:
                changed.append(fresh)
        try:
            await repo.add_many(new)
        except DuplicateCode as exc:
            raise _raced(exc) from exc
        await repo.update_many(changed)
        created, updated, done = created + len(new), updated + len(changed), done + len(chunk)
        tick(done, len(records))
    return ImportResult(created, updated, unchanged)


async def _stock(records: list[Record], uow: UnitOfWork, env: Env, act: Act, tick: Progress) -> ImportResult:
    """The file's quantity is a count: only the difference is posted, so importing twice is a no-op."""
    warehouses: dict[str, int] = {}
    for code in sorted({rec.values.get("warehouse", MAIN_WAREHOUSE) for rec in records}):
        warehouses[code] = (await uow.warehouses.by_code(code)).id
    items = await uow.items.by_skus([rec.key for rec in records])
    targets: list[tuple[Item, int, Decimal]] = []
    for rec in records:
        item = items.get(rec.key.lower())
        if item is None or item.id is None:
            raise NotFound("item", rec.key)
        targets.append((item, warehouses[rec.values.get("warehouse", MAIN_WAREHOUSE)], rec.values["qty"]))
    # Locked in ascending key order, a chunk at a time (one IN list per chunk).
    balances: dict[tuple[int, int], Balance] = {}
    for keys in _chunks(sorted({(item.id, wh) for item, wh, _ in targets if item.id is not None})):
        balances.update(await uow.stock.lock(keys))
    pending = [(item, wh, qty - balances[(item.id, wh)].on_hand) for item, wh, qty in targets if item.id is not None]
    pending = [p for p in pending if p[2] != 0]
    if not pending:
        tick(len(records), len(records))
        return ImportResult(unchanged=len(records))
    year = env.today().year
    ref = f"IMP-{year}-{await uow.sequences.next(f'IMP-{year}'):05d}"
    changes = [
        StockChange(item.id, wh, delta, Decimal(0), MoveKind.ADJUSTMENT, ref, item.sku)
        for item, wh, delta in pending
        if item.id is not None
    ]
    await uow.stock.apply(changes, act)  # at once: a refusal names every short line
    tick(len(records), len(records))
    await after_stock_change(uow, act, changes)
    return ImportResult(updated=len(changes), unchanged=len(records) - len(changes), ref=ref)
