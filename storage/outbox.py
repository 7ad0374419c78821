"""Outbox rows, written in the business transaction; the sender (notifications) drains them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from domain.events import Event
from storage.tables import outbox
from storage.upsert import insert_ignore


async def outbox_rows(conn: AsyncConnection, events: Sequence[Event]) -> None:
    rows = [
        {
            "kind": e.name,
            "dedup_key": e.dedup_key,
            "payload": e.payload(),
            "created_at": e.at,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": e.at,
        }
        for e in events
        if e.notify
    ]
    if rows:
        # A dedup key already present means this episode was announced: skip silently.
        await conn.execute(insert_ignore(conn, outbox, ["dedup_key"]), rows)
