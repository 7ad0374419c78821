"""The delivery queue: one row per message to one chat, drained per chat in id order.

Guarantees the sender builds on:
- A chat's deliveries go out in id order: only a chat's *head* (its lowest pending id) is ever
  handed out or claimed, so a later message never overtakes an earlier one that is waiting for
  a retry.
- A claim is a lease: `next_attempt_at` moves to the lease's end, and the new value is the token
  only its holder can claim with. Another sender sees the head as not ready and skips the whole
  chat, so one chat is served by one sender at a time; a sender that dies frees its chat when the
  lease ends (the message in flight may then be sent twice: at least once, never lost).
- On PostgreSQL a claim locks with FOR UPDATE SKIP LOCKED, so racing senders never queue on
  each other's rows; on SQLite writes queue for the one write lock (BEGIN IMMEDIATE).
Every function is its own short transaction: none stays open across a send to Telegram.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from storage.database import Database
from storage.tables import alert_bindings, card_copies, chat_targets, deliveries, users
from storage.targets import refuses
from storage.uow import SqlUnitOfWork
from storage.upsert import insert_ignore

NOTICE_KIND = "admin_notice"  # not an alert kind: what the sender itself tells the admins
# last_error while a claim is being sent: finding it on a claimable row means the sender that
# claimed it stopped mid-send, so the message may already be in the chat.
IN_FLIGHT = "in flight"

d = deliveries.c


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    chat_id: int
    thread_id: int  # 0: the chat itself, not a forum topic
    kind: str
    text: str
    markup: dict[str, Any] | None
    photo: bytes | None
    card_kind: str | None
    card_ref: str | None
    viewer_id: int | None
    lang: str
    attempts: int
    next_attempt_at: datetime  # also the claim token: see the module docstring
    last_error: str | None = None


# (an admin's language, the chat's title) -> (language of the text, text)
NoticeRenderer = Callable[[str, str | None], tuple[str, str]]


@dataclass(frozen=True, slots=True)
class NewDelivery:
    chat_id: int
    text: str
    lang: str
    kind: str
    thread_id: int = 0
    markup: dict[str, Any] | None = None
    photo: bytes | None = None
    card: tuple[str, str] | None = None  # (card kind, ref)
    viewer_id: int | None = None
    outbox_id: int | None = None
    part: int = 0


_COLUMNS = (
    d.id,
    d.chat_id,
    d.thread_id,
    d.kind,
    d.text,
    d.markup,
    d.photo,
    d.card_kind,
    d.card_ref,
    d.viewer_id,
    d.lang,
    d.attempts,
    d.next_attempt_at,
    d.last_error,
)


def _delivery(row: Any) -> Delivery:
    return Delivery(
        row.id,
        row.chat_id,
        row.thread_id,
        row.kind,
        row.text or "",
        row.markup,
        row.photo,
        row.card_kind,
        row.card_ref,
        row.viewer_id,
        row.lang,
        row.attempts,
        row.next_attempt_at,
        row.last_error,
    )


def _is_head() -> ColumnElement[bool]:
    """No earlier delivery of the same chat is still pending."""
    earlier = deliveries.alias("earlier")
    e = earlier.c
    return ~exists().where(e.chat_id == d.chat_id, e.status == "pending", e.id < d.id)


async def enqueue(conn: AsyncConnection, items: Iterable[NewDelivery], now: datetime) -> None:
    """Queue messages in the caller's transaction (routing twice adds nothing for routed rows)."""
    rows = [
        {
            "outbox_id": i.outbox_id,
            "part": i.part,
            "chat_id": i.chat_id,
            "thread_id": i.thread_id,
            "kind": i.kind,
            "text": i.text,
            "markup": i.markup,
            "photo": i.photo,
            "card_kind": i.card[0] if i.card else None,
            "card_ref": i.card[1] if i.card else None,
            "viewer_id": i.viewer_id,
            "lang": i.lang,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for i in items
    ]
    if rows:
        stmt = insert_ignore(conn, deliveries, ["outbox_id", "chat_id", "thread_id", "part"])
        await conn.execute(stmt, rows)


async def ready_heads(db: Database, now: datetime, limit: int = 200, skip: Iterable[int] = ()) -> list[Delivery]:
    """The head of every chat whose head is ready now, oldest first (chats in `skip` left out)."""
    query = select(*_COLUMNS).where(d.status == "pending", d.next_attempt_at <= now, _is_head())
    if skipped := list(skip):
        query = query.where(d.chat_id.not_in(skipped))
    async with db.reading() as conn:
        rows = (await conn.execute(query.order_by(d.id).limit(limit))).all()
    return [_delivery(r) for r in rows]


async def next_due(db: Database) -> datetime | None:
    """When the earliest waiting head becomes ready (None when nothing is pending)."""
    async with db.reading() as conn:
        due: datetime | None = await conn.scalar(select(func.min(d.next_attempt_at)).where(d.status == "pending", _is_head()))
    return due


async def claim(db: Database, delivery: Delivery, now: datetime, until: datetime) -> Delivery | None:
    """Lease a head seen earlier, if it is unchanged since: still pending, still the chat's head,
    and not claimed by anyone else meanwhile (its token is the `next_attempt_at` we saw). The
    returned delivery carries the new token (the lease's end)."""
    target = (
        select(d.id)
        .where(
            d.id == delivery.id,
            d.status == "pending",
            d.next_attempt_at == delivery.next_attempt_at,
            _is_head(),
        )
        .with_for_update(skip_locked=True)
    )
    async with SqlUnitOfWork(db) as uow:
        result = await uow.conn.execute(
            update(deliveries).where(d.id.in_(target)).values(next_attempt_at=until, last_error=IN_FLIGHT)
        )
        await uow.commit()
    if result.rowcount != 1:
        return None
    return _replace_token(delivery, until)


async def release_leases(db: Database, now: datetime) -> int:
    """Free every lease at start-up where this process is the only sender (SQLite: one process
    per database). Their holder died with the last process; without this a chat would wait for
    the lease to run out. What they held may have been sent already: at least once, never lost."""
    async with SqlUnitOfWork(db) as uow:
        result = await uow.conn.execute(
            update(deliveries)
            .where(d.status == "pending", d.last_error == IN_FLIGHT, d.next_attempt_at > now)
            .values(next_attempt_at=now)
        )
        await uow.commit()
    return result.rowcount or 0


async def release(db: Database, held: Mapping[int, tuple[datetime, bool]], now: datetime) -> int:
    """Give back leases a sender still holds after a failed pass, so their chats need not wait
    for the leases to end. `held`: delivery id -> (the lease's token, whether it may have been
    sent). A lease is given back only while it is still the holder's (same token, pending); one
    never sent loses its in-flight mark, one that may have been sent keeps it (its resend is
    logged as a possible duplicate). Returns how many were given back."""
    released = 0
    async with SqlUnitOfWork(db) as uow:
        for delivery_id, (token, maybe_sent) in sorted(held.items()):
            values: dict[str, Any] = {"next_attempt_at": now}
            if not maybe_sent:
                values["last_error"] = None
            result = await uow.conn.execute(
                update(deliveries).where(d.id == delivery_id, d.status == "pending", d.next_attempt_at == token).values(**values)
            )
            released += result.rowcount or 0
        await uow.commit()
    return released


def _replace_token(delivery: Delivery, token: datetime) -> Delivery:
    return replace(delivery, next_attempt_at=token, last_error=IN_FLIGHT)


async def _lease_next(conn: AsyncConnection, chat_id: int, now: datetime, until: datetime | None) -> Delivery | None:
    """Keep the chat: lease its new head right away so no other sender starts on it before our
    pacer allows (another sender would not know when we last wrote to the chat). It is marked in
    flight already: its holder sends it without claiming it again (one transaction per message
    instead of two), so from here on a crash may have sent it."""
    if until is None:
        return None
    first = deliveries.alias("first")
    head = select(func.min(first.c.id)).where(first.c.chat_id == chat_id, first.c.status == "pending").scalar_subquery()
    leased = await conn.execute(
        update(deliveries)
        .where(d.id == head, d.status == "pending", d.next_attempt_at <= now)
        .values(next_attempt_at=until, last_error=IN_FLIGHT)
        .returning(*_COLUMNS)
    )
    row = leased.first()
    return _delivery(row) if row is not None else None


async def mark_sent(
    db: Database,
    delivery: Delivery,
    message_id: int,
    now: datetime,
    lease_next_until: datetime | None = None,
    card_digest: str = "",
) -> Delivery | None:
    """Sent as `message_id`; a card is remembered as a copy in the same transaction (with what it
    shows, `card_digest`, so a later refresh edits it only if it would change). Returns the
    chat's next delivery, leased until `lease_next_until`, when one is ready."""
    async with SqlUnitOfWork(db) as uow:
        await uow.conn.execute(
            update(deliveries)
            .where(d.id == delivery.id)
            .values(status="sent", sent_at=now, message_id=message_id, attempts=d.attempts + 1, last_error=None)
        )
        if delivery.card_kind and delivery.card_ref:
            copy: dict[str, Any] = {"chat_id": delivery.chat_id, "message_id": message_id, "viewer_id": delivery.viewer_id}
            copy |= {"lang": delivery.lang, "digest": card_digest, "kind": delivery.card_kind, "ref": delivery.card_ref}
            await uow.conn.execute(insert_ignore(uow.conn, card_copies, ["chat_id", "message_id"]).values(**copy, at=now))
        following = await _lease_next(uow.conn, delivery.chat_id, now, lease_next_until)
        await uow.commit()
    return following


async def reschedule(db: Database, delivery: Delivery, at: datetime, error: str, *, failed: bool) -> None:
    """Try again at `at`; `failed` counts an attempt (a 429 is not the message's failure)."""
    async with SqlUnitOfWork(db) as uow:
        await uow.conn.execute(
            update(deliveries)
            .where(d.id == delivery.id, d.status == "pending")
            .values(next_attempt_at=at, last_error=error[:500], attempts=d.attempts + (1 if failed else 0))
        )
        await uow.commit()


async def mark_dead(
    db: Database, delivery: Delivery, reason: str, now: datetime, lease_next_until: datetime | None = None
) -> Delivery | None:
    """Will never be sent. Returns the chat's next delivery like `mark_sent`."""
    async with SqlUnitOfWork(db) as uow:
        await uow.conn.execute(
            update(deliveries)
            .where(d.id == delivery.id, d.status == "pending")
            .values(status="dead", last_error=reason[:500], attempts=d.attempts + 1)
        )
        following = await _lease_next(uow.conn, delivery.chat_id, now, lease_next_until)
        await uow.commit()
    return following


def _admin() -> ColumnElement[bool]:
    # roles is a comma-separated list; the commas stop "admin" matching inside another name.
    return (literal(",") + users.c.roles + literal(",")).like("%,admin,%")


async def deactivate_target(db: Database, chat_id: int, reason: str, now: datetime, notice: NoticeRenderer) -> bool:
    """The chat refuses the bot (403): mark its target inactive, drop its pending deliveries and,
    only if the target was active until now, queue one notice to each active admin who can still
    be reached. `notice(admin's language, chat title) -> (language, text)`. Returns whether the target changed,
    so a second 403 from the same chat tells nobody again."""
    t = chat_targets.c
    async with SqlUnitOfWork(db) as uow:
        conn = uow.conn
        title: str | None = await conn.scalar(select(t.title).where(t.chat_id == chat_id))
        result = await conn.execute(
            update(chat_targets)
            .where(t.chat_id == chat_id, t.active.is_(True))
            .values(active=False, inactive_reason=reason[:500], updated_at=now)
        )
        changed = result.rowcount == 1
        if not changed:
            # A chat the router never registered (a person's private chat): remember it as inactive.
            row: dict[str, Any] = {"chat_id": chat_id, "chat_type": "private" if chat_id > 0 else "group"}
            row |= {"language": "zh", "active": False, "inactive_reason": reason[:500], "updated_at": now}
            changed = (await conn.execute(insert_ignore(conn, chat_targets, ["chat_id"]).values(**row))).rowcount == 1
        await conn.execute(
            update(deliveries)
            .where(d.chat_id == chat_id, d.status == "pending")
            .values(status="dead", last_error=f"chat inactive: {reason}"[:500])
        )
        if changed:
            await _tell_admins(conn, chat_id, title, notice, now)
        await uow.commit()
    return changed


async def _tell_admins(conn: AsyncConnection, chat_id: int, title: str | None, notice: NoticeRenderer, now: datetime) -> None:
    """Queue one notice to each active admin who can still be reached (not `chat_id` itself)."""
    admins = (
        await conn.execute(
            select(users.c.id, users.c.language)
            .where(users.c.active.is_(True), _admin(), users.c.id != chat_id, ~refuses(users.c.id))
            .order_by(users.c.id)
        )
    ).all()
    notices = []
    for admin in admins:
        lang, text = notice(admin.language, title)
        notices.append(NewDelivery(admin.id, text, lang, NOTICE_KIND))
    await enqueue(conn, notices, now)


@dataclass(frozen=True, slots=True)
class TopicDropped:
    told: bool  # the topic had bindings until now, and the admins are told
    configured: bool  # some of them came from config.toml (and come back at restart unless removed there)
    following: Delivery | None  # the chat's next delivery, leased like mark_sent's


async def drop_topic(
    db: Database,
    delivery: Delivery,
    reason: str,
    now: datetime,
    notice: NoticeRenderer,
    lease_next_until: datetime | None = None,
) -> TopicDropped:
    """The delivery's forum topic is gone (deleted): its bindings are removed, what waits for
    the topic is dropped (this delivery too), and, only if it had bindings until now, the admins
    are told once. The chat's other topics go on."""
    b, t = alert_bindings.c, chat_targets.c
    chat_id, thread_id = delivery.chat_id, delivery.thread_id
    async with SqlUnitOfWork(db) as uow:
        conn = uow.conn
        here = (b.chat_id == chat_id) & (b.thread_id == thread_id)
        bound = (await conn.execute(select(b.kind, b.created_by).where(here))).all()
        await conn.execute(delete(alert_bindings).where(here))
        await conn.execute(
            update(deliveries)
            .where(d.chat_id == chat_id, d.thread_id == thread_id, d.status == "pending")
            .values(status="dead", last_error=f"topic gone: {reason}"[:500])
        )
        await conn.execute(update(deliveries).where(d.id == delivery.id).values(attempts=d.attempts + 1))
        if bound:
            title: str | None = await conn.scalar(select(t.title).where(t.chat_id == chat_id))
            await _tell_admins(conn, chat_id, title, notice, now)
        following = await _lease_next(conn, chat_id, now, lease_next_until)
        await uow.commit()
    return TopicDropped(bool(bound), any(r.created_by is None for r in bound), following)


@dataclass(frozen=True, slots=True)
class Migration:
    moved: int  # pending deliveries moved to the new id
    configured: bool  # some bindings moved came from config.toml, which still names the old id


async def migrate_chat(db: Database, old: int, new: int, now: datetime) -> Migration:
    """A group became a supergroup: its bindings, its target and its pending deliveries move to
    the new id (pending ones become ready at once, none of them in flight: the send to the old
    id did not happen)."""
    b, t = alert_bindings.c, chat_targets.c
    async with SqlUnitOfWork(db) as uow:
        conn = uow.conn
        configured = await conn.scalar(select(func.count()).where(b.chat_id == old, b.created_by.is_(None)))
        moved_bindings = select(literal(new), b.thread_id, b.kind, b.created_by, b.created_at).where(b.chat_id == old)
        await conn.execute(
            insert_ignore(conn, alert_bindings, ["chat_id", "thread_id", "kind"]).from_select(
                ["chat_id", "thread_id", "kind", "created_by", "created_at"], moved_bindings
            )
        )
        await conn.execute(delete(alert_bindings).where(b.chat_id == old))
        if await conn.scalar(select(t.chat_id).where(t.chat_id == new)) is None:
            await conn.execute(
                update(chat_targets).where(t.chat_id == old).values(chat_id=new, chat_type="supergroup", updated_at=now)
            )
        else:
            await conn.execute(delete(chat_targets).where(t.chat_id == old))
        # Routing may already have queued the same part for the new id: keep that one.
        twin = deliveries.alias("twin")
        await conn.execute(
            update(deliveries)
            .where(
                d.chat_id == old,
                d.status == "pending",
                exists().where(
                    twin.c.chat_id == new,
                    twin.c.outbox_id == d.outbox_id,
                    twin.c.thread_id == d.thread_id,
                    twin.c.part == d.part,
                ),
            )
            .values(status="dead", last_error=f"migrated to {new}; already queued there")
        )
        result = await conn.execute(
            update(deliveries)
            .where(d.chat_id == old, d.status == "pending")
            .values(chat_id=new, next_attempt_at=now, last_error=None)
        )
        await uow.commit()
    return Migration(int(result.rowcount), bool(configured))


async def statuses(db: Database, ids: Sequence[int] | None = None) -> dict[int, tuple[str, int | None, str | None]]:
    """id -> (status, message_id, last_error): for the command line and tests."""
    query = select(d.id, d.status, d.message_id, d.last_error)
    if ids is not None:
        query = query.where(d.id.in_(list(ids)))
    async with db.reading() as conn:
        rows = (await conn.execute(query)).all()
    return {r.id: (r.status, r.message_id, r.last_error) for r in rows}
