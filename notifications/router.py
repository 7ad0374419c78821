"""Routing, stage 2 of ADR 0008: pending outbox rows become deliveries, one message per target.

For each row: the alert kind and whom it concerns (domain.alerts), the targets (chats and forum
topics bound to the kind, plus those people, minus their mutes and minus chats that refuse the
bot), one message per target in its language. All of that is read and drawn first, outside any
write transaction (a digest's read and chart take a second on big data; on SQLite a write
transaction holds every other writer back); then one short transaction inserts the `deliveries`
and marks the row `routed`, only if it is still pending. Routing a row twice adds nothing: a
routed row is never claimed again, two routers that drew the same row cannot both mark it, and
deliveries are unique per (outbox row, chat, topic, part). A row whose routing fails adds
nothing and stays pending; it is tried again later and given up (`dead`) after a few tries.

Low-stock rows due together are routed together: each target gets one list of every item in
them (split on line boundaries under Telegram's limit), so 500 items crossing at once are a
handful of messages to a group, not 500 (RELIABILITY T12). Those deliveries belong to the
batch's first row; the other rows are routed with it. If a batch fails, its rows are routed
one by one, so only a bad row is retried (and given up).

What only the bot layer can draw comes in through `RouteDeps`: a PO card with the viewer's
buttons, and the daily digest with its chart.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.alerts import AlertKind, Audience, audience
from domain.master import Role
from notifications.messages import OutMessage
from notifications.render import TEXT_LIMIT, Renderer, split_lines, visible_length
from storage.database import Database
from storage.deliveries import NewDelivery, enqueue
from storage.tables import alert_bindings, alert_mutes, chat_targets, outbox, po_decisions, purchase_orders, users
from storage.targets import refuses
from storage.uow import SqlUnitOfWork

log = logging.getLogger("caixiao.routing")

LOW_STOCK_EVENT = "StockFellBelowReorderPoint"
RETRY_AFTER = timedelta(minutes=1)  # doubled per failed try

DrawCard = Callable[[str, str, int | None, str], Awaitable[OutMessage]]
ComposeDigests = Callable[[date, Sequence[str]], Awaitable[Mapping[str, Sequence[OutMessage]]]]


@dataclass(frozen=True, slots=True)
class RouteDeps:
    """`draw_card(kind, ref, viewer_id, lang)`: the card of a PO ("p") or SO ("s") as that
    viewer sees it (None: a group's copy, no buttons); `compose_digests(day, langs)`: the daily
    digest's messages in each language, read once (notifications.digest.compose_digests). Both
    are called outside any write transaction. `language`: the company's, for bound chats that never
    said otherwise."""

    render: Renderer
    draw_card: DrawCard
    compose_digests: ComposeDigests
    language: str = "zh"
    max_attempts: int = 5


@dataclass(frozen=True, slots=True)
class Target:
    chat_id: int
    thread_id: int  # 0: the chat itself
    lang: str
    viewer_id: int | None = None  # a person in their private chat: draws their own buttons


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    event: str
    payload: dict[str, Any]


async def route_pending(db: Database, deps: RouteDeps, now: datetime, limit: int = 200) -> int:
    """Route up to `limit` pending outbox rows that are due, oldest first; returns how many were
    routed. Each row (each low-stock batch) is read and drawn, then written in one short
    transaction; a failure is logged, noted on its row and does not stop the others (a failed
    batch is taken apart so only its bad rows wait). Several routers may run at once: on
    PostgreSQL a row another one is writing is skipped (FOR UPDATE SKIP LOCKED), and a row is
    only ever routed by the transaction that moves it from pending to routed."""
    due = await _due(db, now, limit)
    low = [row_id for row_id, event in due if event == LOW_STOCK_EVENT]
    batches = [[row_id] for row_id, event in due if event != LOW_STOCK_EVENT]
    if low:
        batches.append(low)
    batches.sort(key=lambda ids: ids[0])
    routed = 0
    for ids in batches:
        try:
            routed += await _route(db, deps, now, ids)
        except Exception as exc:  # one bad row must not hold back every alert behind it
            if len(ids) == 1:
                log.exception("routing outbox %s failed", ids[0])
                await _failed(db, ids, now, exc, deps.max_attempts)
            else:
                routed += await _route_apart(db, deps, now, ids, exc)
    return routed


async def _route_apart(db: Database, deps: RouteDeps, now: datetime, ids: list[int], exc: Exception) -> int:
    """A low-stock batch failed: find the rows that fail on their own and set them aside (each
    retried and given up alone), then route the rest together, still as one list per target."""
    log.warning("routing low-stock outbox %s…%s failed (%s); looking for the bad rows", ids[0], ids[-1], exc)
    good: list[int] = []
    for row_id in ids:
        try:
            await _prepare(db, deps, [row_id])
        except Exception as bad:
            log.exception("routing outbox %s failed", row_id)
            await _failed(db, [row_id], now, bad, deps.max_attempts)
        else:
            good.append(row_id)
    if not good:
        return 0
    try:
        return await _route(db, deps, now, good)
    except Exception as again:  # not one row's fault (the database, say): all are tried again later
        log.exception("routing low-stock outbox %s…%s failed", good[0], good[-1])
        await _failed(db, good, now, again, deps.max_attempts)
        return 0


async def _due(db: Database, now: datetime, limit: int) -> list[tuple[int, str]]:
    o = outbox.c
    async with db.reading() as conn:
        query = select(o.id, o.kind).where(o.status == "pending", o.next_attempt_at <= now).order_by(o.id).limit(limit)
        return [(r.id, r.kind) for r in (await conn.execute(query)).all()]


async def _route(db: Database, deps: RouteDeps, now: datetime, ids: list[int]) -> int:
    """Read and draw first, with no write transaction open; then one short transaction queues
    the messages and marks the rows routed, only if every one of them is still pending and no
    other router holds it (else nothing is written: what is left comes round again)."""
    wanted, messages = await _prepare(db, deps, ids)
    if not wanted:
        return 0
    o = outbox.c
    async with SqlUnitOfWork(db) as uow:
        claim = select(o.id).where(o.id.in_(wanted), o.status == "pending").order_by(o.id).with_for_update(skip_locked=True)
        if list((await uow.conn.scalars(claim)).all()) != wanted:
            return 0  # routed (or being routed) by another router since we read it: theirs counts
        await uow.conn.execute(update(outbox).where(o.id.in_(wanted), o.status == "pending").values(status="routed"))
        await enqueue(uow.conn, messages, now)
        await uow.commit()
    return len(wanted)


async def _prepare(db: Database, deps: RouteDeps, ids: list[int]) -> tuple[list[int], list[NewDelivery]]:
    """The rows of `ids` still pending and their messages, read in one snapshot and drawn after
    it is closed; writes nothing."""
    o = outbox.c
    low: dict[Target, list[dict[str, Any]]] = {}
    one: _OnePlan | None = None
    async with db.reading() as conn:
        query = select(o.id, o.kind, o.payload).where(o.id.in_(ids), o.status == "pending").order_by(o.id)
        rows = [_Row(r.id, r.kind, dict(r.payload)) for r in (await conn.execute(query)).all()]
        if not rows:
            return [], []
        if rows[0].event == LOW_STOCK_EVENT:
            low = await _low_stock_targets(conn, deps, rows)
        else:
            one = await _one_targets(conn, deps, rows[0])
    if rows[0].event == LOW_STOCK_EVENT:
        messages = _low_stock(deps, rows, low)
    else:
        messages = await _one(deps, one) if one is not None else []  # None: concerns no one
    return [r.id for r in rows], messages


async def _failed(db: Database, ids: list[int], now: datetime, exc: Exception, max_attempts: int) -> None:
    o = outbox.c
    async with SqlUnitOfWork(db) as uow:
        for row_id in ids:
            attempts = int(await uow.conn.scalar(select(o.attempts).where(o.id == row_id)) or 0) + 1
            await uow.conn.execute(
                update(outbox)
                .where(o.id == row_id, o.status == "pending")
                .values(
                    attempts=attempts,
                    status="dead" if attempts >= max_attempts else "pending",
                    next_attempt_at=now + RETRY_AFTER * 2 ** (attempts - 1),
                    last_error=f"{type(exc).__name__}: {exc}"[:1000],
                )
            )
        await uow.commit()


# --- whom -------------------------------------------------------------------------------------


async def _po_facts(conn: AsyncConnection, number: str) -> dict[str, Any]:
    """What routing adds from the PO as it is now (domain.alerts.audience says what for)."""
    p, d = purchase_orders.c, po_decisions.c
    po = (
        await conn.execute(select(p.id, p.status, p.created_by, p.approver_roles, p.approval_round).where(p.number == number))
    ).first()
    if po is None:
        return {"approver_roles": []}
    decided = (await conn.scalars(select(d.user_id).where(d.po_id == po.id, d.round == po.approval_round, d.approve))).all()
    pending = po.status == "pending_approval"
    return {
        "created_by": po.created_by,
        "approver_roles": [r for r in po.approver_roles.split(",") if r] if pending else [],
        "decided": list(decided),
    }


async def _targets(conn: AsyncConnection, who: Audience, language: str) -> list[Target]:
    """Bound chats and topics, then the people concerned; each chat or topic once."""
    found: dict[tuple[int, int], Target] = {}
    if who.groups:
        b, ct = alert_bindings.c, chat_targets.c
        kinds = [who.kind.value, AlertKind.ESCALATION.value] if who.escalated else [who.kind.value]
        query = (
            select(b.chat_id, b.thread_id, ct.language)
            .outerjoin(chat_targets, ct.chat_id == b.chat_id)
            .where(b.kind.in_(kinds), ~refuses(b.chat_id))
            .order_by(b.chat_id, b.thread_id)
        )
        for r in (await conn.execute(query)).all():
            found[(r.chat_id, r.thread_id)] = Target(r.chat_id, r.thread_id, r.language or language)
    if who.roles or who.users:
        u, m = users.c, alert_mutes.c
        muted = exists().where(m.user_id == u.id, m.kind == who.kind.value)
        query = select(u.id, u.roles, u.language).where(u.active.is_(True), ~muted, ~refuses(u.id)).order_by(u.id)
        for r in (await conn.execute(query)).all():
            roles = {Role(n) for n in r.roles.split(",") if n}
            if (r.id in who.users or roles & who.roles) and r.id not in who.exclude:
                found.setdefault((r.id, 0), Target(r.id, 0, r.language, viewer_id=r.id))
    return list(found.values())


async def _names(conn: AsyncConnection, ids: Iterable[object]) -> dict[int, str]:
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return {}
    rows = (await conn.execute(select(users.c.id, users.c.name).where(users.c.id.in_(sorted(wanted))))).all()
    return {r.id: r.name for r in rows}


# --- what -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _OnePlan:
    """What was read for one row: whom it goes to and what its drawing needs."""

    row: _Row
    kind: AlertKind
    payload: dict[str, Any]
    targets: list[Target]
    names: dict[int, str]


async def _one_targets(conn: AsyncConnection, deps: RouteDeps, row: _Row) -> _OnePlan | None:
    payload = row.payload
    if row.event in ("ApprovalReminder", "PurchaseOrderApprovalGiven"):
        payload = {**payload, **await _po_facts(conn, str(payload["ref"]))}
    who = audience(row.event, payload)
    if who is None:
        return None
    targets = await _targets(conn, who, deps.language)
    names = await _names(conn, [payload.get("actor_id")])
    return _OnePlan(row, who.kind, payload, targets, names)


async def _one(deps: RouteDeps, plan: _OnePlan) -> list[NewDelivery]:
    """Every target's messages, drawn with no transaction open."""
    row, kind, payload = plan.row, plan.kind, plan.payload
    drawn: dict[tuple[int | None, str], list[OutMessage]] = {}
    if kind == AlertKind.DAILY_DIGEST and plan.targets:
        day = date.fromisoformat(str(payload["day"]))
        langs = sorted({t.lang for t in plan.targets})
        composed = await deps.compose_digests(day, langs)
        drawn = {(None, lang): list(composed[lang]) for lang in langs}
    out: list[NewDelivery] = []
    for target in plan.targets:
        # Groups share one drawing per language; a person's card has their own buttons.
        key = (target.viewer_id if kind in _PERSONAL_DRAWINGS else None, target.lang)
        if key not in drawn:
            drawn[key] = await _draw(deps, kind, row.event, payload, plan.names, key[0], target.lang)
        out += _deliveries(row.id, kind, target, drawn[key])
    return out


# Kinds whose message depends on who reads it (buttons only they may press).
_PERSONAL_DRAWINGS = {AlertKind.APPROVAL_REQUEST, AlertKind.APPROVAL_REMINDER}


async def _draw(
    deps: RouteDeps,
    kind: AlertKind,
    event: str,
    payload: Mapping[str, Any],
    names: Mapping[int, str],
    viewer: int | None,
    lang: str,
) -> list[OutMessage]:
    ref = str(payload["ref"])
    match kind:
        case AlertKind.APPROVAL_REQUEST:
            return [_as_card(await deps.draw_card("p", ref, viewer, lang), ref)]
        case AlertKind.APPROVAL_REMINDER:
            note = deps.render.render("alerts/approval_reminder.html", lang, e=payload)
            card = _as_card(await deps.draw_card("p", ref, viewer, lang), ref)
            joined = f"{note}\n\n{card.text}"
            if card.photo is None and visible_length(joined) <= TEXT_LIMIT:
                return [replace(card, text=joined)]
            return [OutMessage(note), card]
    actor = payload.get("actor_id")
    who = names.get(actor) if isinstance(actor, int) else None
    text = deps.render.render(f"alerts/{kind.value}.html", lang, event=event, e=payload, who=who)
    return [OutMessage(text)]


def _as_card(message: OutMessage, ref: str) -> OutMessage:
    """Remembered as a card copy once sent, so the decision edits it in place later."""
    return message if message.card is not None else replace(message, card=("p", ref))


def _deliveries(outbox_id: int, kind: AlertKind, target: Target, messages: Sequence[OutMessage]) -> list[NewDelivery]:
    return [
        NewDelivery(
            chat_id=target.chat_id,
            thread_id=target.thread_id,
            text=m.text,
            lang=target.lang,
            kind=kind.value,
            markup=m.markup,
            photo=m.photo,
            card=m.card,
            viewer_id=target.viewer_id,
            outbox_id=outbox_id,
            part=part,
        )
        for part, m in enumerate(messages)
    ]


# --- low stock, in batches --------------------------------------------------------------------


async def _low_stock_targets(conn: AsyncConnection, deps: RouteDeps, rows: Sequence[_Row]) -> dict[Target, list[dict[str, Any]]]:
    """Every target with the items in `rows` that concern it."""
    per_target: dict[Target, list[dict[str, Any]]] = defaultdict(list)
    targets: dict[Audience, list[Target]] = {}  # every row has the same audience: ask once
    for row in rows:
        who = audience(row.event, row.payload)
        if who is None:
            continue
        if who not in targets:
            targets[who] = await _targets(conn, who, deps.language)
        for target in targets[who]:
            per_target[target].append(row.payload)
    return dict(per_target)


def _low_stock(deps: RouteDeps, rows: Sequence[_Row], per_target: Mapping[Target, list[dict[str, Any]]]) -> list[NewDelivery]:
    """Every target gets one list of its items, split in parts."""
    out: list[NewDelivery] = []
    for target, found in per_target.items():
        parts = low_stock_messages(deps.render, target.lang, found)
        out += _deliveries(rows[0].id, AlertKind.LOW_STOCK, target, [OutMessage(p) for p in parts])
    return out


def low_stock_messages(render: Renderer, lang: str, found: Sequence[Mapping[str, Any]]) -> list[str]:
    """The items as a list under a title, cut on item boundaries so that each part (with its
    own title) stays under Telegram's 4,096 characters."""
    lines = [render.render("alerts/low_stock_line.html", lang, e=e) for e in sorted(found, key=lambda e: str(e["ref"]))]
    # Room for the longest title any part can get (the counts only grow the text a little).
    room = TEXT_LIMIT - visible_length(render.render("alerts/low_stock.html", lang, count=len(lines), part=99, parts=99)) - 2
    chunks = split_lines("\n".join(lines), room) or [""]  # each item is one line
    return [
        render.render("alerts/low_stock.html", lang, count=len(lines), part=i + 1, parts=len(chunks)) + "\n" + chunk
        for i, chunk in enumerate(chunks)
    ]
