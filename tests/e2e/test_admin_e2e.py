"""Administration from the phone against the real bot process: an admin registers people (by id,
and by a forwarded message) who are greeted, creates an item and edits it by button, adds a
supplier and a customer; a buyer switches language; people without the right are refused. The
emulator sees no Bot API error."""

from __future__ import annotations

from sqlalchemy import select

from bot.emulator import Emulator
from storage.tables import users
from tests.e2e.conftest import BotProcess, People, last_card, no_errors, text_of
from tests.support import ADMIN, BUYER, VIEWER, World, q

NEW, FORWARDED = 5001, 5002


async def test_admin_runs_master_data_from_the_phone(emu: Emulator, company: tuple[str, World], people: People) -> None:
    url, world = company
    await emu.client.create_user("Li", user_id=NEW, last_name="Lei", language_code="zh")
    await emu.client.create_user("Han", user_id=FORWARDED, last_name="Mei", language_code="en")
    bot = BotProcess(emu, url, "polling")
    await bot.start()
    try:
        # The admin registers someone by id; they get a welcome in their language.
        replies = await people.say(ADMIN, f"/users add {NEW} Li Lei buyer sales lang=zh", expect=2)
        assert "Registered Li Lei" in text_of(replies) and "welcome message" in text_of(replies)
        [welcome] = await people.new_messages(NEW, 0, 1)
        assert "欢迎使用采销，Li Lei" in welcome.content
        [start] = await people.say(NEW, "/start")
        assert "Li Lei" in start.content

        # Or by forwarding a message the person wrote, then ticking roles on the picker's buttons.
        await people.say(ADMIN, "/users add")
        before = len(await emu.client.transcript(ADMIN))
        await emu.client.forward(ADMIN, FORWARDED, "hi, can you add me?")
        [picker] = await people.new_messages(ADMIN, before, 1)
        await people.press(ADMIN, picker, "warehouse")
        await people.settled()
        picker = await emu.client.message(ADMIN, picker.message_id)
        await people.press(ADMIN, picker, "Register")
        await people.settled()
        async with world.db.reading() as conn:
            roles = await conn.scalar(select(users.c.roles).where(users.c.id == FORWARDED))
        assert roles == "warehouse"
        welcome = await people.new_messages(FORWARDED, 0, 1)
        assert "Welcome to Caixiao, Han Mei" in welcome[0].content

        # A new item in one line, then its reorder point edited from the card's button.
        replies = await people.say(ADMIN, "/item new Z-9 Widget rop=10 max=50 pack=5 supplier=ACME", expect=2)
        card = last_card(replies)
        assert "Z-9 · Widget" in card.content
        before = len(await emu.client.transcript(ADMIN))
        await people.press(ADMIN, card, "Reorder point")
        [prompt] = await people.new_messages(ADMIN, before, 1)
        assert "Now: 10" in prompt.content
        replies = await people.say(ADMIN, "25", expect=2)
        assert "Reorder point: 25" in text_of(replies)
        async with world.bus.uow_factory() as uow:
            assert (await uow.items.by_sku("Z-9")).reorder_point == q(25)

        # A supplier and a customer in one line each.
        replies = await people.say(ADMIN, "/supplier new FOO Foo Trading currency=usd lead=7", expect=2)
        assert "Supplier FOO · Foo Trading" in text_of(replies) and "USD" in text_of(replies)
        replies = await people.say(ADMIN, "/customer new BAR Bar & Grill", expect=2)
        assert "Customer BAR · Bar &amp; Grill" in text_of(replies) or "Bar & Grill" in text_of(replies)

        # The buyer's app is in English; they pick Chinese in /settings and the bot follows.
        [panel] = await people.say(BUYER, "/settings")
        assert "My settings" in panel.content
        await people.press(BUYER, panel, "中文")
        await people.settled()
        assert "我的设置" in (await emu.client.message(BUYER, panel.message_id)).content
        [start] = await people.say(BUYER, "/start")
        assert "您的角色" in start.content

        # Nobody but an admin manages people; a viewer cannot create items.
        [refused] = await people.say(BUYER, "/users")
        assert "您无权" in refused.content
        [refused] = await people.say(VIEWER, "/item new Q-1 Thing")
        assert "may not" in refused.content
        async with world.bus.uow_factory() as uow:
            assert (await uow.users.get(NEW)).roles == {"buyer", "sales"}

        await no_errors(emu.client)
    finally:
        code = await bot.stop()
    assert code == 0, bot.output.decode(errors="replace")
