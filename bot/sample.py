"""The sample company (`caixiao seed --sample`): a small hardware trader with a few weeks of life.

Everything goes through the real use cases, with the clock set back where the story needs a
past (an order placed ten days ago that is now overdue), so the sample is as consistent as
anything a real company would have.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from domain import commands as c
from domain.ports import Clock, UnitOfWorkFactory
from domain.services.base import Env
from domain.services.bus import Bus

D = Decimal

ADMIN = 10001
ADMIN_NAME = "陈静 Chen Jing"
# Every working role in both languages, so the sandbox can show each step in zh and in en.
STAFF = [
    (10002, "王芳 Wang Fang", "manager", "zh"),
    (10003, "Mia Chen", "manager", "en"),
    (10004, "李强 Li Qiang", "buyer", "zh"),
    (10005, "赵磊 Zhao Lei", "warehouse", "zh"),
    (10006, "Sam Liu", "sales", "en"),
    (10007, "周敏 Zhou Min", "viewer", "zh"),
    (10008, "Tom Baker", "buyer", "en"),
    (10009, "Ken Wu", "warehouse", "en"),
    (10010, "孙丽 Sun Li", "sales", "zh"),
]
BUYER, MANAGER, WAREHOUSE, SALES = 10004, 10002, 10005, 10006

SUPPLIERS = [
    ("HUADONG", "华东五金 Huadong Hardware", 7),
    ("NINGBO-FAST", "宁波紧固件 Ningbo Fasteners", 10),
    ("SAFEGEAR", "安全防护用品 SafeGear", 5),
]
CUSTOMERS = [
    ("XINDA", "鑫达建材 Xinda Building Materials"),
    ("GREENHOME", "绿家装修 GreenHome Renovation"),
    ("METRO-FAC", "地铁设施维护 Metro Facilities"),
]

# sku, name, unit, reorder point, max, pack, supplier, cost, opening stock
ITEMS = [
    ("BOLT-M6", "六角螺栓 M6 Hex bolt", "pcs", 500, 3000, 100, "NINGBO-FAST", "0.35", 2400),
    ("BOLT-M8", "六角螺栓 M8 Hex bolt", "pcs", 400, 2500, 100, "NINGBO-FAST", "0.52", 300),
    ("NUT-M6", "螺母 M6 Nut", "pcs", 500, 3000, 100, "NINGBO-FAST", "0.12", 2600),
    ("NUT-M8", "螺母 M8 Nut", "pcs", 400, 2500, 100, "NINGBO-FAST", "0.18", 1900),
    ("WASHER-6", "平垫圈 6mm Washer", "pcs", 800, 5000, 500, "NINGBO-FAST", "0.04", 4200),
    ("SCREW-W4", "木螺丝 4x30 Wood screw", "pcs", 1000, 6000, 500, "NINGBO-FAST", "0.06", 650),
    ("ANCHOR-8", "膨胀螺栓 8mm Anchor", "pcs", 200, 1200, 50, "NINGBO-FAST", "0.90", 820),
    ("RIVET-4", "抽芯铆钉 4mm Rivet", "pcs", 500, 4000, 500, "NINGBO-FAST", "0.05", 3100),
    ("DRILL-6", "钻头 6mm Drill bit", "pcs", 40, 200, 10, "HUADONG", "4.80", 150),
    ("DRILL-8", "钻头 8mm Drill bit", "pcs", 40, 200, 10, "HUADONG", "5.60", 22),
    ("BLADE-115", "切割片 115mm Cutting disc", "pcs", 100, 600, 25, "HUADONG", "2.10", 480),
    ("TAPE-PTFE", "生料带 PTFE tape", "roll", 60, 400, 20, "HUADONG", "1.20", 260),
    ("TAPE-DUCT", "布基胶带 Duct tape", "roll", 50, 300, 12, "HUADONG", "6.50", 35),
    ("SILICONE", "玻璃胶 Silicone sealant", "tube", 80, 480, 24, "HUADONG", "9.80", 310),
    ("PAINT-W5", "白色乳胶漆 5L White paint", "bucket", 20, 120, 4, "HUADONG", "85.00", 64),
    ("BRUSH-2", "油漆刷 2寸 Paint brush", "pcs", 60, 300, 12, "HUADONG", "3.20", 190),
    ("ROLLER-9", "滚筒刷 9寸 Paint roller", "pcs", 30, 150, 6, "HUADONG", "11.50", 18),
    ("CABLE-2.5", "电线 2.5mm² Cable", "m", 500, 3000, 100, "HUADONG", "2.35", 2200),
    ("SWITCH-1G", "单开开关 1-gang switch", "pcs", 50, 300, 10, "HUADONG", "8.90", 240),
    ("SOCKET-5H", "五孔插座 5-hole socket", "pcs", 50, 300, 10, "HUADONG", "9.60", 41),
    ("LED-9W", "LED灯泡 9W LED bulb", "pcs", 100, 600, 20, "HUADONG", "6.30", 520),
    ("PIPE-PPR20", "PPR水管 20mm Pipe", "m", 200, 1200, 4, "HUADONG", "4.10", 900),
    ("ELBOW-20", "弯头 20mm Elbow", "pcs", 100, 600, 20, "HUADONG", "0.95", 75),
    ("GLOVE-L", "劳保手套 L Work gloves", "pair", 120, 720, 12, "SAFEGEAR", "3.50", 600),
    ("GLOVE-M", "劳保手套 M Work gloves", "pair", 120, 720, 12, "SAFEGEAR", "3.50", 96),
    ("HELMET", "安全帽 Safety helmet", "pcs", 30, 150, 5, "SAFEGEAR", "18.00", 110),
    ("GOGGLES", "护目镜 Safety goggles", "pcs", 30, 150, 10, "SAFEGEAR", "7.40", 140),
    ("MASK-N95", "防尘口罩 N95 Dust mask", "box", 20, 120, 5, "SAFEGEAR", "45.00", 12),
    ("VEST-HV", "反光背心 Hi-vis vest", "pcs", 40, 200, 10, "SAFEGEAR", "12.00", 160),
    ("EARPLUG", "耳塞 Ear plugs", "box", 15, 80, 5, "SAFEGEAR", "22.00", 60),
]


class _ShiftedClock:
    """The real clock, moved back: for the parts of the story that happened earlier."""

    def __init__(self, clock: Clock, back: timedelta) -> None:
        self.clock, self.back = clock, back

    def now(self) -> datetime:
        return self.clock.now() - self.back


async def seed_sample(uow_factory: UnitOfWorkFactory, env: Env) -> dict[str, int]:
    """Create the sample company; returns counts for the summary line."""
    past = Bus(uow_factory, replace(env, clock=_ShiftedClock(env.clock, timedelta(days=10))))
    bus = Bus(uow_factory, env)
    for uid, name, role, lang in STAFF:
        await past.handle(c.RegisterUser(actor_id=ADMIN, user_id=uid, name=name, roles=(role,), language=lang, source="cli"))
    for code, name, lead in SUPPLIERS:
        await past.handle(
            c.CreatePartner(actor_id=ADMIN, kind="supplier", code=code, name=name, lead_time_days=lead, source="cli")
        )
    for code, name in CUSTOMERS:
        await past.handle(c.CreatePartner(actor_id=ADMIN, kind="customer", code=code, name=name, source="cli"))
    for sku, name, unit, rp, mx, pack, supplier, cost, opening in ITEMS:
        await past.handle(
            c.CreateItem(
                actor_id=ADMIN,
                sku=sku,
                name=name,
                unit=unit,
                reorder_point=D(rp),
                max_qty=D(mx),
                pack_size=D(pack),
                default_supplier=supplier,
                std_cost=D(cost),
                source="cli",
            )
        )
        await past.handle(
            c.AdjustStock(actor_id=WAREHOUSE, sku=sku, counted=D(opening), reason="opening stock 期初库存", source="cli")
        )
    # Ten days ago: safety gear ordered for delivery in five days; it has not come. Overdue now.
    late = await past.handle(
        c.CreatePurchaseOrder(
            actor_id=BUYER, supplier="SAFEGEAR", lines=(("MASK-N95", D(100), None), ("GLOVE-M", D(600), None)), source="cli"
        )
    )
    await past.handle(c.SubmitPurchaseOrder(actor_id=BUYER, po=late.number, source="cli"))
    await past.handle(c.ApprovePurchaseOrder(actor_id=MANAGER, po=late.number, source="cli"))
    # Today: a big fastener order (over 5,000 CNY) waiting for a manager's approval.
    waiting = await bus.handle(
        c.CreatePurchaseOrder(
            actor_id=BUYER,
            supplier="NINGBO-FAST",
            lines=(("BOLT-M8", D(8000), None), ("SCREW-W4", D(5000), None), ("ANCHOR-8", D(800), None)),
            source="cli",
        )
    )
    await bus.handle(c.SubmitPurchaseOrder(actor_id=BUYER, po=waiting.number, source="cli"))
    # Sales: one order shipped, one confirmed with a backorder on a scarce item.
    first = await bus.handle(
        c.CreateSalesOrder(
            actor_id=SALES, customer="XINDA", lines=(("BOLT-M6", D(400), D("0.80")), ("NUT-M6", D(400), D("0.30"))), source="cli"
        )
    )
    await bus.handle(c.ConfirmSalesOrder(actor_id=SALES, so=first.number, source="cli"))
    await bus.handle(c.ShipSalesOrder(actor_id=WAREHOUSE, so=first.number, carrier="SF", tracking="SF100200300", source="cli"))
    second = await bus.handle(
        c.CreateSalesOrder(
            actor_id=SALES, customer="METRO-FAC", lines=(("DRILL-8", D(40), D(12)), ("HELMET", D(20), D(35))), source="cli"
        )
    )
    await bus.handle(c.ConfirmSalesOrder(actor_id=SALES, so=second.number, source="cli"))
    return {
        "users": len(STAFF) + 1,
        "suppliers": len(SUPPLIERS),
        "customers": len(CUSTOMERS),
        "items": len(ITEMS),
        "pos": 2,
        "sos": 2,
    }
