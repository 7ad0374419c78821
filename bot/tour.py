"""A scripted walk through the core (`caixiao demo`): real use cases on a real database."""

from __future__ import annotations

from decimal import Decimal

from bot.bootstrap import App
from bot.i18n import t
from domain import commands as c
from domain.purchasing import PurchaseOrder
from domain.sales import SalesOrder
from storage.checks import ledger_drift

ADMIN, BUYER, MANAGER, WAREHOUSE, SALES = 9001, 9002, 9003, 9004, 9005

ITEMS = [
    ("BOLT-M6", "六角螺栓 M6 Bolt", "500", "2000", "100"),
    ("NUT-M6", "螺母 M6 Nut", "500", "2000", "100"),
    ("GLOVE-L", "劳保手套 Gloves L", "50", "300", "12"),
]


async def run_tour(app: App, lang: str, say: object = print) -> bool:
    """Returns True when the books agree at the end."""
    out = say if callable(say) else print
    bus = app.bus
    out(t(lang, "cli.tour_title", url=app.settings.database.url))
    staff = [
        (BUYER, "Bo 采购", "buyer"),
        (MANAGER, "Mia 经理", "manager"),
        (WAREHOUSE, "Wen 仓库", "warehouse"),
        (SALES, "Sam 销售", "sales"),
    ]
    for uid, name, role in staff:
        await bus.handle(c.RegisterUser(actor_id=ADMIN, user_id=uid, name=name, roles=(role,), source="cli"))
    await bus.handle(
        c.CreatePartner(
            actor_id=ADMIN, kind="supplier", code="HUADONG", name="华东五金 Huadong Hardware", lead_time_days=7, source="cli"
        )
    )
    await bus.handle(c.CreatePartner(actor_id=ADMIN, kind="customer", code="XINDA", name="鑫达建材 Xinda Building", source="cli"))
    for sku, name, rp, mx, pack in ITEMS:
        await bus.handle(
            c.CreateItem(
                actor_id=ADMIN,
                sku=sku,
                name=name,
                reorder_point=Decimal(rp),
                max_qty=Decimal(mx),
                pack_size=Decimal(pack),
                default_supplier="HUADONG",
                source="cli",
            )
        )
    out(t(lang, "cli.tour_created_items", count=len(ITEMS), supplier="HUADONG", customer="XINDA"))

    lines = (
        (sku, Decimal(qty), Decimal(price))
        for sku, qty, price in [("BOLT-M6", "2000", "1.85"), ("NUT-M6", "2000", "0.42"), ("GLOVE-L", "120", "6.50")]
    )
    po: PurchaseOrder = await bus.handle(
        c.CreatePurchaseOrder(actor_id=BUYER, supplier="HUADONG", lines=tuple(lines), source="cli")
    )
    summary = ", ".join(f"{ln.sku} × {ln.qty.normalize():f}" for ln in po.lines)
    out(t(lang, "cli.tour_po_created", buyer="Bo", number=po.number, lines=summary, total=po.total, currency=po.currency))
    po = await bus.handle(c.SubmitPurchaseOrder(actor_id=BUYER, po=po.number, source="cli"))
    out(t(lang, "cli.tour_po_submitted", number=po.number, status=t(lang, f"status.{po.status}"), needed=po.approvals_needed))
    po = await bus.handle(c.ApprovePurchaseOrder(actor_id=MANAGER, po=po.number, source="cli"))
    out(t(lang, "cli.tour_po_approved", manager="Mia", number=po.number, status=t(lang, f"status.{po.status}")))
    po = await bus.handle(
        c.ReceiveGoods(
            actor_id=WAREHOUSE, po=po.number, lines=(("BOLT-M6", Decimal(1500)), ("NUT-M6", Decimal(2000))), source="cli"
        )
    )
    out(
        t(
            lang,
            "cli.tour_received",
            qty="1500 + 2000",
            sku="BOLT-M6 / NUT-M6",
            number=po.number,
            status=t(lang, f"status.{po.status}"),
        )
    )

    so: SalesOrder = await bus.handle(
        c.CreateSalesOrder(
            actor_id=SALES,
            customer="XINDA",
            lines=(("BOLT-M6", Decimal(800), Decimal("1.60")), ("GLOVE-L", Decimal(24), Decimal(12))),
            source="cli",
        )
    )
    so = await bus.handle(c.ConfirmSalesOrder(actor_id=SALES, so=so.number, source="cli"))
    reserved = ", ".join(f"{ln.sku} {ln.reserved_qty.normalize():f}" for ln in so.lines if ln.reserved_qty) or "-"
    backordered = ", ".join(f"{ln.sku} {ln.backorder.normalize():f}" for ln in so.lines if ln.backorder) or "-"
    out(t(lang, "cli.tour_so", number=so.number, customer="XINDA", reserved=reserved, backordered=backordered))
    po = await bus.handle(c.ReceiveGoods(actor_id=WAREHOUSE, po=po.number, source="cli"))
    out(
        t(
            lang,
            "cli.tour_received",
            qty="500 + 120",
            sku="BOLT-M6 / GLOVE-L",
            number=po.number,
            status=t(lang, f"status.{po.status}"),
        )
    )
    so = await bus.handle(c.ShipSalesOrder(actor_id=WAREHOUSE, so=so.number, carrier="SF", tracking="SF1234567890", source="cli"))
    out(
        t(
            lang,
            "cli.tour_shipped",
            number=so.number,
            carrier="SF",
            tracking="SF1234567890",
            status=t(lang, f"status.{so.status}"),
        )
    )

    out(t(lang, "cli.tour_stock_header"))
    async with bus.uow_factory() as uow:
        for sku, name, *_ in ITEMS:
            item = await uow.items.by_sku(sku)
            assert item.id is not None
            pos = await uow.stock.position(item.id)
            out(
                t(
                    lang,
                    "cli.tour_stock_line",
                    sku=sku,
                    name=name[:14],
                    on_hand=f"{pos.on_hand.normalize():f}",
                    reserved=f"{pos.reserved.normalize():f}",
                    available=f"{pos.available.normalize():f}",
                    inbound=f"{pos.inbound.normalize():f}",
                )
            )
    async with app.db.reading() as conn:
        drift = await ledger_drift(conn)
    out(t(lang, "cli.tour_check", result=t(lang, "cli.check_clean") if not drift else str(drift)))
    return not drift
