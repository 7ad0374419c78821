"""Dispatch: one use case per command, retried when a concurrent writer got there first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from domain import commands as c
from domain.errors import ConcurrencyConflict
from domain.ports import UnitOfWork, UnitOfWorkFactory
from domain.services import goods, importing, masterdata, purchasing, selling, stock
from domain.services.base import Env

UseCase = Callable[[Any, UnitOfWork, Env], Awaitable[Any]]

USE_CASES: dict[type[c.Command], UseCase] = {
    c.CreateItem: masterdata.create_item,
    c.UpdateItem: masterdata.update_item,
    c.CreatePartner: masterdata.create_partner,
    c.SetPartnerActive: masterdata.set_partner_active,
    c.RegisterUser: masterdata.register_user,
    c.SetUserRoles: masterdata.set_user_roles,
    c.CreatePurchaseOrder: purchasing.create_po,
    c.EditPurchaseOrder: purchasing.edit_po,
    c.SetExpectedDate: purchasing.set_expected_date,
    c.SubmitPurchaseOrder: purchasing.submit_po,
    c.ApprovePurchaseOrder: purchasing.approve_po,
    c.RejectPurchaseOrder: purchasing.reject_po,
    c.RevisePurchaseOrder: purchasing.revise_po,
    c.CancelPurchaseOrder: purchasing.cancel_po,
    c.ClosePurchaseOrder: purchasing.close_po,
    c.ReceiveGoods: goods.receive_goods,
    c.ReturnToSupplier: goods.return_to_supplier,
    c.ShipSalesOrder: goods.ship_so,
    c.CreateSalesOrder: selling.create_so,
    c.ConfirmSalesOrder: selling.confirm_so,
    c.CancelSalesOrder: selling.cancel_so,
    c.AdjustStock: stock.adjust_stock,
    c.AddSuggestionToDraft: stock.add_suggestion_to_draft,
    importing.ApplyImport: importing.import_file,
}


class Bus:
    """The one entry point front ends call: `await bus.handle(cmd)`."""

    def __init__(self, uow_factory: UnitOfWorkFactory, env: Env, *, retries: int = 8) -> None:
        self.uow_factory, self.env, self.retries = uow_factory, env, retries

    async def handle(self, cmd: c.Command) -> Any:
        use_case = USE_CASES[type(cmd)]
        for attempt in range(self.retries):
            try:
                uow = self.uow_factory()
                uow.idempotency_key = cmd.idempotency_key
                return await use_case(cmd, uow, self.env)
            except ConcurrencyConflict:
                if attempt == self.retries - 1:
                    raise
        raise AssertionError("unreachable")
