"""/bind, /unbind, /bindings: admins choose which alerts a group or forum topic receives."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from aiogram.methods import SendMessage
from aiogram.types import Chat, Message, Update, User
from sqlalchemy import select

from domain.alerts import KINDS
from notifications.i18n import t
from storage.tables import alert_bindings, chat_targets
from tests.chat.harness import ChatHarness, Sent
from tests.chat.steps import texts, unchanged
from tests.support import ADMIN, MANAGER, World, snapshot

GROUP, TOPIC = -1001234, 7


async def in_group(chat: ChatHarness, user_id: int, text: str, lang: str, *, topic: int | None = None) -> list[Sent]:
    """A message from the user in the team's forum group (in one of its topics if given)."""
    message = Message(
        message_id=next(chat.message_ids),
        date=datetime.now(UTC),
        chat=Chat(id=GROUP, type="supergroup", title="Team <A&B>", is_forum=True),
        from_user=User(id=user_id, is_bot=False, first_name=f"u{user_id}", language_code=lang),
        text=text,
        message_thread_id=topic,
        is_topic_message=topic is not None or None,
    )
    return await chat.feed(Update(update_id=next(chat.update_ids), message=message))


async def bound(world: World) -> set[tuple[int, int, str]]:
    async with world.db.reading() as conn:
        rows = (await conn.execute(select(alert_bindings.c.chat_id, alert_bindings.c.thread_id, alert_bindings.c.kind))).all()
    return {(r.chat_id, r.thread_id, r.kind) for r in rows}


async def test_an_admin_binds_alert_kinds_to_the_group_in_their_language(chat: ChatHarness, world: World, lang: str) -> None:
    replies = await in_group(chat, ADMIN, "/bind low_stock Receipt", lang)

    assert await bound(world) == {(GROUP, 0, "low_stock"), (GROUP, 0, "receipt")}
    assert t(lang, "alert.kind.low_stock") in texts(replies) and t(lang, "alert.kind.receipt") in texts(replies)
    async with world.db.reading() as conn:
        target = (await conn.execute(select(chat_targets).where(chat_targets.c.chat_id == GROUP))).one()
    assert (target.chat_type, target.title, target.language, target.active) == ("supergroup", "Team <A&B>", lang, True)


async def test_bind_all_in_a_forum_topic_binds_every_kind_to_that_topic_and_answers_there(
    chat: ChatHarness, world: World, lang: str
) -> None:
    replies = await in_group(chat, ADMIN, "/bind all", lang, topic=TOPIC)

    assert await bound(world) == {(GROUP, TOPIC, kind) for kind in KINDS}
    sent = [m for m in chat.recorder.calls if isinstance(m, SendMessage)]
    assert replies and sent[-1].message_thread_id == TOPIC


async def test_unbind_and_bindings_show_what_the_topic_still_receives(chat: ChatHarness, world: World, lang: str) -> None:
    await in_group(chat, ADMIN, "/bind receipt shipment decision", lang, topic=TOPIC)
    await in_group(chat, ADMIN, "/bind low_stock", lang)

    removed = await in_group(chat, ADMIN, "/unbind shipment", lang, topic=TOPIC)
    listed = await in_group(chat, ADMIN, "/bindings", lang, topic=TOPIC)
    await in_group(chat, ADMIN, "/unbind", lang, topic=TOPIC)

    assert t(lang, "alert.kind.shipment") in texts(removed)
    assert "<code>receipt</code>" in texts(listed) and "<code>decision</code>" in texts(listed)
    assert "shipment" not in texts(listed) and "low_stock" not in texts(listed)
    assert await bound(world) == {(GROUP, 0, "low_stock")}  # the group itself keeps its own


async def test_an_unknown_kind_lists_the_kinds_and_changes_nothing(chat: ChatHarness, world: World, lang: str) -> None:
    before = await snapshot(world.db)

    replies = await in_group(chat, ADMIN, "/bind low_stock lowstock", lang)

    assert "lowstock" in texts(replies) and all(kind in texts(replies) for kind in KINDS)
    await unchanged(world, before)


async def test_bind_without_kinds_explains_how(chat: ChatHarness, world: World, lang: str) -> None:
    replies = await in_group(chat, ADMIN, "/bind", lang)

    assert "/bind" in texts(replies) and "daily_digest" in texts(replies)
    assert await bound(world) == set()


async def test_someone_who_is_not_an_admin_is_refused_and_nothing_changes(chat: ChatHarness, world: World, lang: str) -> None:
    before = await snapshot(world.db)

    replies = await in_group(chat, MANAGER, "/bind all", lang)
    also = await in_group(chat, MANAGER, "/unbind", lang)

    assert len(replies) == len(also) == 1
    assert t(lang, "term.action.bind_alerts") in texts(replies)
    await unchanged(world, before)


async def test_bind_in_a_private_chat_says_it_belongs_in_a_group(chat: ChatHarness, world: World, lang: str) -> None:
    replies = await chat.say(ADMIN, "/bind low_stock", lang)

    assert texts(replies) == html.escape(t(lang, "bind.private"), quote=False)
    assert await bound(world) == set()
