from domain import commands as c
from tests.support import BUYER, MANAGER, SALES, WAREHOUSE, World, q


async def test_a_po_goes_from_creation_to_receipt_and_stock_is_sold(world: World) -> None:
    number = await world.approved_po((("A-1", 100, "2.50"),))

    po = await world.do(c.ReceiveGoods(actor_id=WAREHOUSE, po=number, lines=(("A-1", q(60)),)))
    so = await world.do(c.CreateSalesOrder(actor_id=SALES, customer="SHOP", lines=(("A-1", q(10), q(5)),)))
    so = await world.do(c.ConfirmSalesOrder(actor_id=SALES, so=so.number))
    so = await world.do(c.ShipSalesOrder(actor_id=WAREHOUSE, so=so.number, lines=(("A-1", q(5)),)))

    assert po.status == "partially_received"
    assert so.status == "partially_shipped"
    assert await world.balance("A-1") == (q(55), q(5))
    assert await world.drift() == []
    _ = (BUYER, MANAGER)
