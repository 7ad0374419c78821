"""/settings: a language picked here wins over the Telegram app's; personal alerts switch off and on."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from bot.callbacks import SettingsAct
from notifications.i18n import catalog, t
from storage.tables import alert_mutes, users
from tests.chat.group import in_group, untouched
from tests.chat.harness import ChatHarness
from tests.chat.steps import unchanged
from tests.support import ADMIN, BUYER, VIEWER, World, snapshot


async def stored_language(world: World, user_id: int) -> tuple[str, bool]:
    async with world.db.reading() as conn:
        row = (await conn.execute(select(users.c.language, users.c.language_chosen).where(users.c.id == user_id))).one()
    return row.language, row.language_chosen


async def test_language_switch_wins_over_the_telegram_app(chat: ChatHarness, world: World, lang: str) -> None:
    other = "zh" if lang == "en" else "en"
    [panel] = await chat.say(BUYER, "/settings", lang)
    assert t(lang, "settings.title") in panel.text

    await chat.press(BUYER, panel, t(other, "settings.language_name"), lang)

    assert t(other, "settings.title") in panel.text  # the panel itself is redrawn in the new language
    assert await stored_language(world, BUYER) == (other, True)
    [start] = await chat.say(BUYER, "/start", lang)  # the app still says `lang`
    assert t(other, "start.guide")[:10] in start.text


async def test_alert_kinds_switch_off_and_on_and_a_double_tap_is_harmless(chat: ChatHarness, world: World, lang: str) -> None:
    [panel] = await chat.say(BUYER, "/settings", lang)
    label = t(lang, "settings.kind.low_stock")

    await chat.press(BUYER, panel, label, lang)
    await chat.press_data(BUYER, panel, SettingsAct(act="mute", value="low_stock", uid=BUYER).pack(), lang)
    await chat.press(BUYER, panel, t(lang, "settings.kind.daily_digest"), lang)

    assert await world.count(alert_mutes, alert_mutes.c.user_id == BUYER) == 2
    assert "🔕 " + label in [text for text, _ in panel.buttons()]
    await chat.press(BUYER, panel, label, lang)
    assert await world.count(alert_mutes, alert_mutes.c.user_id == BUYER) == 1


async def test_forged_buttons_and_a_deactivated_person_change_nothing(chat: ChatHarness, world: World) -> None:
    [panel] = await chat.say(VIEWER, "/settings")
    before = await snapshot(world.db)

    for data in (
        SettingsAct(act="lang", value="fr", uid=VIEWER),
        SettingsAct(act="mute", value="everything", uid=VIEWER),
        SettingsAct(act="x", value="zh", uid=VIEWER),
    ):
        assert await chat.press_data(VIEWER, panel, data.pack()) == []
    await unchanged(world, before)

    await chat.say(ADMIN, f"/users off {VIEWER}")
    before = await snapshot(world.db)
    [refused] = await chat.say(VIEWER, "/settings")
    assert await chat.press(VIEWER, panel, t("en", "settings.kind.low_stock")) == []
    assert refused.text == t("en", "access.inactive", id=VIEWER)
    assert chat.recorder.answers[-1].show_alert
    await unchanged(world, before)


async def test_a_press_on_someone_elses_panel_changes_nothing_and_leaves_it_alone(
    chat: ChatHarness, world: World, lang: str
) -> None:
    """In a group, a colleague's press on my panel used to switch their own language or alerts and
    redraw my panel with their settings."""
    [panel] = await in_group(chat, BUYER, "/settings", lang)
    shown = panel.text
    before = await snapshot(world.db)

    other = "zh" if lang == "en" else "en"
    for label in (t(other, "settings.language_name"), t(lang, "settings.kind.low_stock")):
        assert await chat.press(VIEWER, panel, label, lang) == []
        assert chat.recorder.answers[-1].text == t(lang, "settings.not_yours")

    await unchanged(world, before)
    assert untouched(panel) and panel.text == shown
    await chat.press(BUYER, panel, t(lang, "settings.kind.low_stock"), lang)  # the owner still can
    assert await world.count(alert_mutes, alert_mutes.c.user_id == BUYER) == 1


def test_admin_templates_use_only_known_keys() -> None:
    """The admin templates live in a folder of their own, which the catalog test does not scan."""
    folder = Path(__file__).resolve().parents[2] / "notifications" / "templates" / "admin"
    used = {key for path in folder.glob("*.html") for key in re.findall(r"""_\(\s*["']([a-z_.]+)["']""", path.read_text("utf-8"))}

    assert len(used) > 20
    assert sorted(key for key in used if not key.endswith(("_", ".")) and key not in catalog("en")) == []
