"""The sender against a recording Transport on a fake clock, on SQLite and PostgreSQL.

Teeth — naive senders these tests catch:
- draining the queue in plain id order (FIFO over all chats): people wait behind a group held at
  20 a minute (test_a_group_at_its_limit_does_not_hold_back_people);
- claiming every pending row ready now instead of each chat's head: the second message of a chat
  overtakes the first while that one waits out a 429 or a backoff (test_a_429_...,
  test_network_errors_...);
- retrying a 429 at once or after a fixed pause shorter than retry_after (test_a_429_...);
- treating a 403 like any failure: retries forever, or tells the admins once per message
  (test_a_chat_that_blocked_the_bot_...);
- sending a migrated group's messages to the old id again and again (test_a_migrated_group_...);
- marking sent before sending, or claiming without a lease: a crash loses a message or two
  senders send one twice (test_t6_..., test_two_senders_...);
- waiting for each answer before the next send: with a 100 ms round trip it manages 10/s, not
  the limits' pace; overlapping one chat's own messages, or letting more than 30 go in a second
  because several were in flight (test_with_a_100_ms_round_trip_...).

The fake clock is virtual time that moves only when everyone waits on it, so sends in flight at
once overlap in time as on a real clock.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy import insert, select

from bot.config import SenderConfig
from bot.copies import digest
from bot.delivery import _sent
from domain.master import Role, User
from handlers.cards import Card
from notifications.clocks import ScaledClock
from notifications.sender import LEASE, Sender, deliver_ready, sender_loop
from notifications.transport import BadRequest, Forbidden, MigratedTo, RetryAfter, SendError, TransientError
from storage import deliveries as queue
from storage.cards import SqlCardCopies
from storage.database import Database
from storage.deliveries import NOTICE_KIND, NewDelivery, enqueue, statuses
from storage.master_repos import SqlUsers
from storage.tables import alert_bindings, chat_targets, deliveries
from storage.uow import SqlUnitOfWork
from tests.conftest import make_database

ADMIN, ADMIN_EN, ANN, BO, CY = 1001, 1002, 2001, 2002, 2003
GROUP, NEW_GROUP = -4001, -1009001


class FakeClock:
    """Virtual time, stored and pacing times agreeing to the microsecond. Time moves only when
    everyone waits on it: a sleeper wakes when the clock reaches its deadline, and the clock
    jumps to the earliest deadline once no queue call (storage.deliveries, counted by `busy`) is
    running and nothing else has stirred for a while. So sends in flight at once overlap in
    time as they would on a real clock, and a sleep never moves time under someone else's work."""

    QUIET_TICKS = 30  # event-loop turns without a sleeper coming or going before time moves

    def __init__(self) -> None:
        self.current = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
        self.busy = 0
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._stir = 0  # bumped when a sleeper comes, goes or wakes

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return (self.current - datetime(2026, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1) / 1e6

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        deadline = self.current + timedelta(microseconds=math.ceil(seconds * 1e6))
        entry = (deadline, self._stir, asyncio.get_running_loop().create_future())
        self._sleepers.append(entry)
        self._stir += 1
        try:
            while not entry[2].done():
                if await self._quiet(entry[2]):
                    self._wake_earliest()
        finally:
            self._sleepers.remove(entry)
            self._stir += 1

    async def _quiet(self, mine: asyncio.Future[None]) -> bool:
        """Whether everything settled (False: `mine` was woken meanwhile)."""
        calm, seen = 0, self._stir
        while calm < self.QUIET_TICKS:
            if mine.done():
                return False
            if self.busy:
                calm = 0
                await asyncio.sleep(0.0002)  # a database call: real time passes, virtual time does not
                continue
            await asyncio.sleep(0)
            calm, seen = (calm + 1, seen) if self._stir == seen else (0, self._stir)
        return not mine.done()

    def _wake_earliest(self) -> None:
        self.current = max(self.current, min(deadline for deadline, _, _ in self._sleepers))
        for deadline, _, woken in self._sleepers:
            if deadline <= self.current and not woken.done():
                woken.set_result(None)
        self._stir += 1

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)

    def counting(self, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.busy += 1
            try:
                return await call(*args, **kwargs)
            finally:
                self.busy -= 1

        return counted


class Crash(BaseException):
    """The process dies here: nothing in the sender may catch it."""


@dataclass
class Sent:
    chat_id: int
    thread_id: int | None
    text: str
    at: float  # when the answer came
    photo: bool = False
    start: float = 0.0  # when the request went


@dataclass
class RecordingTransport:
    clock: FakeClock
    script: dict[int, list[BaseException | None]] = field(default_factory=dict)  # per chat, per attempt
    sent: list[Sent] = field(default_factory=list)
    attempts: list[tuple[int, float]] = field(default_factory=list)
    on_send: Callable[[], None] | None = None
    latency: float = 0.0  # a round trip, on the clock
    in_flight: int = 0
    most_in_flight: int = 0

    async def send_message(self, chat_id: int, thread_id: int | None, text: str, markup: dict[str, Any] | None) -> int:
        return await self._send(chat_id, thread_id, text, photo=False)

    async def send_photo(
        self, chat_id: int, thread_id: int | None, photo: bytes, caption: str, markup: dict[str, Any] | None
    ) -> int:
        return await self._send(chat_id, thread_id, caption, photo=True)

    async def _send(self, chat_id: int, thread_id: int | None, text: str, photo: bool) -> int:
        start = self.clock.monotonic()
        self.attempts.append((chat_id, start))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            if self.latency:
                await self.clock.sleep(self.latency)
        finally:
            self.in_flight -= 1
        planned = self.script.get(chat_id)
        outcome = planned.pop(0) if planned else None
        if isinstance(outcome, Crash) and outcome.args == ("after send",):
            self.sent.append(Sent(chat_id, thread_id, text, self.clock.monotonic(), photo, start))
            raise outcome
        if outcome is not None:
            raise outcome
        self.sent.append(Sent(chat_id, thread_id, text, self.clock.monotonic(), photo, start))
        if self.on_send:
            self.on_send()
        return len(self.sent)

    def texts(self, chat_id: int) -> list[str]:
        return [s.text for s in self.sent if s.chat_id == chat_id]

    def times(self, chat_id: int) -> list[float]:
        return [s.at for s in self.sent if s.chat_id == chat_id]


CONFIG = SenderConfig()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def transport(clock: FakeClock) -> RecordingTransport:
    return RecordingTransport(clock)


QUEUE_CALLS = (
    "ready_heads",
    "next_due",
    "claim",
    "release_leases",
    "release",
    "mark_sent",
    "reschedule",
    "mark_dead",
    "deactivate_target",
    "drop_topic",
    "migrate_chat",
)


@pytest.fixture(autouse=True)
def _clock_sees_the_database(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake clock must not move while the sender waits for the database."""
    for name in QUEUE_CALLS:
        monkeypatch.setattr(queue, name, clock.counting(getattr(queue, name)))


@pytest.fixture
async def lite(tmp_path: os.PathLike[str]) -> AsyncIterator[Database]:
    """SQLite only, for what the SQL does not decide: the `db` fixture's PostgreSQL twin is kept
    for claims, leases, SKIP LOCKED, deactivation and migration, where the dialects differ."""
    database, _ = await make_database("sqlite", tmp_path)
    try:
        yield database
    finally:
        await database.dispose()


async def add(db: Database, clock: FakeClock, chat_id: int, *texts: str, **extra: Any) -> None:
    async with SqlUnitOfWork(db) as uow:
        await enqueue(uow.conn, [NewDelivery(chat_id, text, "en", "low_stock", **extra) for text in texts], clock.now())
        await uow.commit()


async def add_users(db: Database, people: Iterable[User]) -> None:
    async with SqlUnitOfWork(db) as uow:
        for user in people:
            await SqlUsers(uow.conn).add(user)
        await uow.commit()


async def all_statuses(db: Database) -> list[tuple[str, int | None, str | None]]:
    found = await statuses(db)
    return [found[k] for k in sorted(found)]


@pytest.mark.parametrize("in_flight", [1, 8])
async def test_each_chat_gets_its_messages_in_order_and_a_slow_group_does_not_hold_back_people(
    lite: Database, clock: FakeClock, transport: RecordingTransport, in_flight: int
) -> None:
    start = clock.monotonic()
    await add(lite, clock, GROUP, *[f"g{n}" for n in range(30)])
    for person in (ANN, BO, CY):
        await add(lite, clock, person, *[f"{person}-{n}" for n in range(3)])

    sent = await deliver_ready(lite, transport, SenderConfig(max_in_flight=in_flight), clock)

    assert sent == 39
    assert transport.texts(GROUP) == [f"g{n}" for n in range(30)]
    assert transport.texts(ANN) == [f"{ANN}-{n}" for n in range(3)]
    assert max(transport.times(CY)) - start <= 2  # not after the group's 30 (which needs > 60 s)
    assert transport.times(GROUP)[20] - transport.times(GROUP)[0] >= 60
    assert {s for s, _, _ in await all_statuses(lite)} == {"sent"}


async def test_a_429_holds_the_chat_until_retry_after_and_keeps_its_order(
    lite: Database, clock: FakeClock, transport: RecordingTransport
) -> None:
    transport.script[ANN] = [RetryAfter(5)]
    start = clock.monotonic()
    await add(lite, clock, ANN, "first", "second")
    await add(lite, clock, BO, "other")

    await run_until(lite, transport, clock, lambda: len(transport.sent) == 3)

    assert transport.texts(ANN) == ["first", "second"]
    assert transport.times(ANN)[0] >= start + 5
    assert transport.times(BO)[0] == start  # other chats are not held
    assert [at for chat, at in transport.attempts if chat == ANN][1] >= start + 5
    async with lite.reading() as conn:
        attempts = (await conn.execute(select(deliveries.c.attempts).order_by(deliveries.c.id))).scalars().all()
    assert attempts == [1, 1, 1]  # a 429 is not the message's failure


async def test_network_errors_are_retried_with_doubling_waits_and_hold_back_the_chat(
    lite: Database, clock: FakeClock, transport: RecordingTransport
) -> None:
    transport.script[ANN] = [TransientError("timeout"), TransientError("502"), ValueError("a bug in a transport")]
    start = clock.monotonic()
    await add(lite, clock, ANN, "first", "second")
    await add(lite, clock, BO, "other")

    await run_until(lite, transport, clock, lambda: len(transport.sent) == 3)

    tries = [at - start for chat, at in transport.attempts if chat == ANN]
    assert tries[:4] == pytest.approx([0, 2, 2 + 4, 2 + 4 + 8], abs=0.01)
    assert transport.texts(ANN) == ["first", "second"]
    assert [s for s, _, _ in await all_statuses(lite)] == ["sent", "sent", "sent"]


async def test_a_message_that_keeps_failing_is_given_up_after_max_attempts(
    lite: Database, clock: FakeClock, transport: RecordingTransport
) -> None:
    transport.script[ANN] = [TransientError("down")] * 3
    config = SenderConfig(max_attempts=3, max_backoff_seconds=5)
    await add(lite, clock, ANN, "doomed", "next")

    await run_until(lite, transport, clock, lambda: len(transport.sent) == 1, config)

    assert transport.texts(ANN) == ["next"]
    [doomed, after] = await all_statuses(lite)
    assert doomed[0] == "dead" and "gave up after 3 attempts" in (doomed[2] or "")
    assert after[0] == "sent"


async def test_a_bad_request_is_dead_with_its_reason_and_the_chat_goes_on(
    lite: Database, clock: FakeClock, transport: RecordingTransport, caplog: pytest.LogCaptureFixture
) -> None:
    transport.script[ANN] = [BadRequest("can't parse entities: unsupported start tag")]
    await add(lite, clock, ANN, "<bad", "fine")

    with caplog.at_level(logging.INFO, logger="caixiao.sender"):
        sent = await deliver_ready(lite, transport, CONFIG, clock)

    assert sent == 1 and transport.texts(ANN) == ["fine"]
    [bad, fine] = await all_statuses(lite)
    assert bad == ("dead", None, "400: can't parse entities: unsupported start tag")
    assert fine[0] == "sent"
    lines = [r.getMessage() for r in caplog.records if r.name == "caixiao.sender"]
    assert len(lines) == 2 and not any("fine" in line or "<bad" in line for line in lines)  # ids, not content


async def test_a_chat_that_blocked_the_bot_goes_inactive_and_the_admins_are_told_once(
    db: Database, clock: FakeClock, transport: RecordingTransport
) -> None:
    await add_users(
        db,
        [
            User(ADMIN, "Ada", frozenset({Role.ADMIN}), "zh"),
            User(ADMIN_EN, "Al", frozenset({Role.MANAGER, Role.ADMIN}), "en"),
            User(ANN, "Ann", frozenset({Role.SALES})),
            User(BO, "Bo", frozenset({Role.ADMIN}), active=False),
        ],
    )
    async with SqlUnitOfWork(db) as uow:
        target = {"chat_id": GROUP, "chat_type": "group", "title": "Warehouse <A>", "language": "zh", "active": True}
        await uow.conn.execute(insert(chat_targets).values(**target, updated_at=clock.now()))
        await uow.commit()
    transport.script[GROUP] = [Forbidden("Forbidden: bot was kicked from the group chat")] * 2
    await add(db, clock, GROUP, "g1", "g2", "g3")
    await add(db, clock, ANN, "a1")

    await deliver_ready(db, transport, CONFIG, clock)
    await add(db, clock, GROUP, "queued before routing saw it inactive")
    await deliver_ready(db, transport, CONFIG, clock)

    assert [c for c, _ in transport.attempts].count(GROUP) == 2  # one try per message that was tried, no retries
    assert transport.texts(ANN) == ["a1"]
    [zh_notice] = transport.texts(ADMIN)
    [en_notice] = transport.texts(ADMIN_EN)
    assert "Warehouse &lt;A&gt; (-4001)" in zh_notice and "无法" in zh_notice
    assert "can no longer write to Warehouse &lt;A&gt;" in en_notice and "kicked" in en_notice
    assert transport.texts(BO) == []
    async with db.reading() as conn:
        row = (await conn.execute(select(chat_targets).where(chat_targets.c.chat_id == GROUP))).one()
        kinds = (await conn.execute(select(deliveries.c.kind, deliveries.c.status, deliveries.c.chat_id))).all()
    assert not row.active and "kicked" in row.inactive_reason
    assert {(s, k) for k, s, c in kinds if c == GROUP} == {("dead", "low_stock")}
    assert sorted(c for k, s, c in kinds if k == NOTICE_KIND) == [ADMIN, ADMIN_EN]


async def test_a_private_chat_that_blocked_the_bot_tells_the_other_admins(
    lite: Database, clock: FakeClock, transport: RecordingTransport
) -> None:
    await add_users(lite, [User(ADMIN, "Ada", frozenset({Role.ADMIN})), User(ADMIN_EN, "Al", frozenset({Role.ADMIN}), "en")])
    transport.script[ADMIN] = [Forbidden("Forbidden: bot was blocked by the user")]
    await add(lite, clock, ADMIN, "to the admin who blocked us")

    await deliver_ready(lite, transport, CONFIG, clock)

    assert transport.texts(ADMIN) == [] and len(transport.texts(ADMIN_EN)) == 1


async def test_a_migrated_group_gets_its_bindings_target_and_queue_moved_and_resent(
    db: Database, clock: FakeClock, transport: RecordingTransport
) -> None:
    async with SqlUnitOfWork(db) as uow:
        for kind in ("low_stock", "receipt"):
            await uow.conn.execute(insert(alert_bindings).values(chat_id=GROUP, thread_id=0, kind=kind, created_at=clock.now()))
        target = {"chat_id": GROUP, "chat_type": "group", "title": "Shop", "language": "en", "active": True}
        await uow.conn.execute(insert(chat_targets).values(**target, updated_at=clock.now()))
        await uow.commit()
    transport.script[GROUP] = [MigratedTo(NEW_GROUP)]
    await add(db, clock, GROUP, "m1", "m2", "m3")

    sent = await deliver_ready(db, transport, CONFIG, clock)

    assert sent == 3 and transport.texts(NEW_GROUP) == ["m1", "m2", "m3"] and transport.texts(GROUP) == []
    async with db.reading() as conn:
        bound = (await conn.execute(select(alert_bindings.c.chat_id, alert_bindings.c.kind))).all()
        targets = (await conn.execute(select(chat_targets.c.chat_id, chat_targets.c.chat_type))).all()
    assert sorted(bound) == [(NEW_GROUP, "low_stock"), (NEW_GROUP, "receipt")]
    assert targets == [(NEW_GROUP, "supergroup")]


async def test_a_sent_card_is_remembered_as_a_copy_that_a_refresh_sees_as_current(
    lite: Database, clock: FakeClock, transport: RecordingTransport
) -> None:
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="批准 ✅", callback_data="o:p:a:7:3")]])
    card = Card("<b>PO-0007</b> 待审批", keyboard)
    markup = keyboard.model_dump(mode="json", exclude_none=True)
    await add(lite, clock, BO, card.text, markup=markup, card=("p", "PO-0007"), viewer_id=BO, thread_id=5)

    await deliver_ready(lite, transport, CONFIG, clock)

    [copy] = await SqlCardCopies(lite).of("p", "PO-0007")
    assert (copy.chat_id, copy.message_id, copy.viewer_id, copy.lang) == (BO, 1, BO, "en")
    assert copy.digest == digest(card)
    assert transport.sent[0].thread_id == 5


async def test_a_chart_goes_as_a_photo_with_its_caption(lite: Database, clock: FakeClock, transport: RecordingTransport) -> None:
    await add(lite, clock, GROUP, "digest caption", photo=b"\x89PNG...")

    await deliver_ready(lite, transport, CONFIG, clock)

    assert transport.sent[0].photo and transport.sent[0].text == "digest caption" and transport.sent[0].thread_id is None


async def test_t6b_a_crash_after_commit_before_the_send_is_sent_after_restart(
    lite: Database, clock: FakeClock, transport: RecordingTransport
) -> None:
    transport.script[ANN] = [Crash("before send")]
    await add(lite, clock, ANN, "one", "two")

    with pytest.raises(Crash):
        await deliver_ready(lite, transport, CONFIG, clock)
    restarted = RecordingTransport(clock)
    early = await deliver_ready(lite, restarted, CONFIG, clock)  # the dead sender's lease still holds
    clock.advance(LEASE.total_seconds())
    late = await deliver_ready(lite, restarted, CONFIG, clock)

    assert (early, late) == (0, 2)
    assert transport.texts(ANN) == [] and restarted.texts(ANN) == ["one", "two"]


async def test_t6c_a_crash_after_the_send_before_marking_it_resends_that_one_message_only(
    db: Database, clock: FakeClock, transport: RecordingTransport, caplog: pytest.LogCaptureFixture
) -> None:
    """One send at a time (max_in_flight = 1, the sender as it was): only the one message."""
    one_at_a_time = SenderConfig(max_in_flight=1)
    await add(db, clock, ANN, "one", "two", "three")
    await add(db, clock, BO, "b1", "b2")
    transport.script[ANN] = [None, Crash("after send")]

    with pytest.raises(Crash):
        await deliver_ready(db, transport, one_at_a_time, clock)
    clock.advance(LEASE.total_seconds())
    with caplog.at_level(logging.WARNING, logger="caixiao.sender"):
        await deliver_ready(db, transport, one_at_a_time, clock)

    assert transport.texts(ANN) == ["one", "two", "two", "three"]  # one duplicate, in order
    assert transport.texts(BO) == ["b1", "b2"]
    assert any("may be a duplicate" in r.getMessage() for r in caplog.records)
    assert {s for s, _, _ in await all_statuses(db)} == {"sent"}


async def test_t6c_a_crash_with_sends_in_flight_to_several_chats_resends_only_those(
    lite: Database, clock: FakeClock, transport: RecordingTransport, caplog: pytest.LogCaptureFixture
) -> None:
    """Several sends in flight: a crash may resend each of them (at most max_in_flight, one per
    chat, each logged as a possible duplicate), never anything else, and every chat's order holds.
    Catches a concurrent sender that loses a message, repeats one that was recorded, or lets a
    chat's next message overtake the one in flight."""
    chats = [ANN, BO, CY, 2004, 2005, 2006]
    for chat in chats:
        await add(lite, clock, chat, *[f"{chat}:{n}" for n in range(3)])
    transport.latency = 0.1
    transport.script[ANN] = [None, Crash("after send")]

    with pytest.raises(Crash):
        await deliver_ready(lite, transport, CONFIG, clock)
    in_flight_at_the_crash = transport.most_in_flight
    clock.advance(LEASE.total_seconds())
    with caplog.at_level(logging.WARNING, logger="caixiao.sender"):
        await deliver_ready(lite, transport, CONFIG, clock)

    repeats = 0
    for chat in chats:
        texts = transport.texts(chat)
        assert [t for k, t in enumerate(texts) if k == 0 or texts[k - 1] != t] == [f"{chat}:{n}" for n in range(3)]
        repeats += len(texts) - 3
    assert transport.texts(ANN).count(f"{ANN}:1") == 2  # the crash came after sending it
    assert 1 <= repeats <= min(in_flight_at_the_crash, CONFIG.max_in_flight)
    assert sum("may be a duplicate" in r.getMessage() for r in caplog.records) >= repeats
    assert {s for s, _, _ in await all_statuses(lite)} == {"sent"}


async def test_two_senders_share_the_queue_and_send_each_message_once_in_order(db: Database, clock: FakeClock) -> None:
    chats = [ANN, BO, CY, 2004, 2005, 2006, GROUP, -4002]
    for chat in chats:
        await add(db, clock, chat, *[f"{chat}:{n}" for n in range(6)])
    transport = RecordingTransport(clock)

    counts = await asyncio.gather(*(deliver_ready(db, transport, CONFIG, clock) for _ in range(2)))

    assert sum(counts) == 48
    for chat in chats:
        assert transport.texts(chat) == [f"{chat}:{n}" for n in range(6)]
        assert all(b - a >= 1 for a, b in zip(transport.times(chat), transport.times(chat)[1:], strict=False))


async def test_the_loop_wakes_when_told_and_stops_when_told(lite: Database) -> None:
    clock = ScaledClock(1)
    transport = RecordingTransport(FakeClock())
    stop, wake = asyncio.Event(), asyncio.Event()
    delivered = asyncio.Event()
    transport.on_send = delivered.set
    loop = asyncio.create_task(sender_loop(lite, transport, SenderConfig(poll_seconds=600), clock, stop=stop, wake=wake))
    await asyncio.sleep(0.05)

    await add(lite, FakeClock(), ANN, "hello")  # queued in the past: ready at once
    wake.set()
    async with asyncio.timeout(3):
        await delivered.wait()
    stop.set()
    async with asyncio.timeout(3):
        await loop

    assert transport.texts(ANN) == ["hello"]


async def run_until(
    db: Database,
    transport: RecordingTransport,
    clock: FakeClock,
    done: Callable[[], bool],
    config: SenderConfig = CONFIG,
) -> None:
    """sender_loop on the fake clock (every pause passes at once) until `done`."""
    stop = asyncio.Event()
    transport.on_send = lambda: stop.set() if done() else None
    async with asyncio.timeout(10):
        await Sender(db, transport, config, clock).run(stop)


# --- places that are gone, migrations, leases after a failed pass --------------------------------

TOPIC, OTHER_TOPIC = 7, 9


async def telegram_says(description: str) -> BaseException:
    """What the aiogram transport raises when Telegram answers a send with this 400."""

    async def refused() -> Message:
        raise TelegramBadRequest(SendMessage(chat_id=GROUP, text="x"), description)

    try:
        await _sent(refused())
    except SendError as exc:
        return exc
    raise AssertionError("not refused")


async def a_group(db: Database, clock: FakeClock, *bindings: tuple[int, str, int | None]) -> None:
    """GROUP as a target, with (topic, kind, created_by) bindings; two admins."""
    await add_users(db, [User(ADMIN, "Ada", frozenset({Role.ADMIN}), "zh"), User(ADMIN_EN, "Al", frozenset({Role.ADMIN}), "en")])
    async with SqlUnitOfWork(db) as uow:
        for topic, kind, by in bindings:
            row = {"chat_id": GROUP, "thread_id": topic, "kind": kind, "created_by": by, "created_at": clock.now()}
            await uow.conn.execute(insert(alert_bindings).values(**row))
        target = {"chat_id": GROUP, "chat_type": "supergroup", "title": "Shop", "language": "en", "active": True}
        await uow.conn.execute(insert(chat_targets).values(**target, updated_at=clock.now()))
        await uow.commit()


async def test_a_deleted_topic_loses_its_bindings_and_queue_and_the_admins_are_told_once(
    db: Database, clock: FakeClock, transport: RecordingTransport, caplog: pytest.LogCaptureFixture
) -> None:
    """Catches dead-lettering every message to a deleted topic one by one, forever, unseen."""
    await a_group(db, clock, (TOPIC, "low_stock", ADMIN), (TOPIC, "receipt", None), (OTHER_TOPIC, "low_stock", ADMIN))
    transport.script[GROUP] = [await telegram_says("Bad Request: message thread not found")]
    await add(db, clock, GROUP, "t1", "t2", thread_id=TOPIC)
    await add(db, clock, GROUP, "n1", thread_id=OTHER_TOPIC)

    with caplog.at_level(logging.WARNING, logger="caixiao.sender"):
        await deliver_ready(db, transport, CONFIG, clock)
        await add(db, clock, GROUP, "queued before routing saw the binding go", thread_id=TOPIC)
        transport.script[GROUP] = [await telegram_says("Bad Request: message thread not found")]
        await deliver_ready(db, transport, CONFIG, clock)

    assert transport.texts(GROUP) == ["n1"]  # the chat's other topic goes on
    assert [c for c, _ in transport.attempts].count(GROUP) == 3  # t1, n1, the late one: t2 is dropped untried
    [zh_notice] = transport.texts(ADMIN)
    [en_notice] = transport.texts(ADMIN_EN)
    assert "Topic #7 of Shop (-4001) is gone" in en_notice and "message thread not found" in en_notice and "#7" in zh_notice
    async with db.reading() as conn:
        bound = (await conn.execute(select(alert_bindings.c.thread_id, alert_bindings.c.kind))).all()
        target = (await conn.execute(select(chat_targets.c.active).where(chat_targets.c.chat_id == GROUP))).scalar_one()
    assert bound == [(OTHER_TOPIC, "low_stock")] and target
    [t1, t2, n1, *notices, late] = await all_statuses(db)
    assert [t1[0], t2[0], n1[0], late[0]] == ["dead", "dead", "sent", "dead"]
    assert "topic gone" in (t2[2] or "") and len(notices) == 2
    assert any("config.toml" in r.getMessage() for r in caplog.records)  # "receipt" came from there


async def test_a_chat_telegram_no_longer_knows_goes_inactive_like_a_403(
    db: Database, clock: FakeClock, transport: RecordingTransport
) -> None:
    await a_group(db, clock, (0, "low_stock", ADMIN))
    transport.script[GROUP] = [await telegram_says("Bad Request: chat not found")]
    await add(db, clock, GROUP, "g1", "g2", "g3")

    await deliver_ready(db, transport, CONFIG, clock)

    assert [c for c, _ in transport.attempts].count(GROUP) == 1
    assert len(transport.texts(ADMIN)) == len(transport.texts(ADMIN_EN)) == 1
    async with db.reading() as conn:
        target = (await conn.execute(select(chat_targets).where(chat_targets.c.chat_id == GROUP))).one()
    assert not target.active and target.inactive_reason == "Bad Request: chat not found"
    assert [s for s, _, _ in await all_statuses(db)][:3] == ["dead", "dead", "dead"]


async def test_other_400s_stay_the_message_s_own_fault() -> None:
    refused = await telegram_says("Bad Request: can't parse entities")
    assert type(refused) is BadRequest and refused.reason == "Bad Request: can't parse entities"


async def test_a_migration_resends_without_a_duplicate_warning_and_names_the_id_for_config_toml(
    db: Database, clock: FakeClock, transport: RecordingTransport, caplog: pytest.LogCaptureFixture
) -> None:
    await a_group(db, clock, (0, "low_stock", None))  # from config.toml
    transport.script[GROUP] = [MigratedTo(NEW_GROUP)]
    await add(db, clock, GROUP, "m1", "m2")

    with caplog.at_level(logging.INFO, logger="caixiao.sender"):
        sent = await deliver_ready(db, transport, CONFIG, clock)

    assert sent == 2 and transport.texts(NEW_GROUP) == ["m1", "m2"]
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not any("duplicate" in line for line in lines)
    [hint] = [line for line in lines if "config.toml" in line]
    assert f"chat_id = {NEW_GROUP} instead of {GROUP}" in hint


async def test_a_failed_pass_gives_back_its_leases_at_once(
    lite: Database,
    clock: FakeClock,
    transport: RecordingTransport,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Catches a sender whose failed pass leaves the chats it held waiting out their leases
    (two minutes), and one that clears the in-flight mark of a message that may have gone."""
    await add(lite, clock, ANN, "a1", "a2")  # a2 is leased ahead when a1 is recorded
    await add(lite, clock, BO, "b1")  # sent, then recording it fails: the pass fails
    recorded = queue.mark_sent
    failures: list[int] = []

    async def database_away(db: Database, delivery: Any, *args: Any, **kwargs: Any) -> Any:
        if delivery.chat_id == BO and not failures:
            failures.append(delivery.id)
            raise ConnectionError("database away")
        return await recorded(db, delivery, *args, **kwargs)

    monkeypatch.setattr(queue, "mark_sent", database_away)
    start = clock.monotonic()

    with caplog.at_level(logging.WARNING, logger="caixiao.sender"):
        await run_until(lite, transport, clock, lambda: len(transport.sent) == 4)

    assert transport.texts(ANN) == ["a1", "a2"] and transport.texts(BO) == ["b1", "b1"]
    assert max(transport.times(ANN)[1], transport.times(BO)[1]) - start < 10  # not after LEASE
    duplicates = [r.getMessage() for r in caplog.records if "duplicate" in r.getMessage()]
    assert len(duplicates) == 1 and f"delivery {failures[0]} " in duplicates[0]  # b1 may have gone; a2 had not
    assert {s for s, _, _ in await all_statuses(lite)} == {"sent"}


# --- sends in flight at once: the round trip no longer sets the pace ------------------------------


def assert_within_the_limits(sent: list[Sent]) -> None:
    """Per chat one at a time and 1/s, per group 20/min, overall 30/s, judged so that any moment
    within [start, answer] of each send could have been the one Telegram counted."""
    done = sorted(sent, key=lambda s: s.start)
    for k, s in enumerate(done):
        same_chat = [o for o in done[:k] if o.chat_id == s.chat_id]
        if same_chat:
            assert s.start - same_chat[-1].at >= 1 - 1e-6, "a chat was written to too soon"
        if s.chat_id < 0 and len(same_chat) >= 20:
            assert s.start - same_chat[-20].at >= 60 - 1e-6, "a group got more than 20 in a minute"
        if k >= 30:
            assert s.start - sorted(o.at for o in done[:k])[-30] >= 1 - 1e-6, "more than 30 in a second"


@pytest.mark.parametrize("in_flight", [1, 8])
async def test_with_a_100_ms_round_trip_many_chats_get_the_global_limit_not_one_message_per_round_trip(
    lite: Database, clock: FakeClock, transport: RecordingTransport, in_flight: int
) -> None:
    """60 people with 4 alerts each and Telegram answering in 100 ms. One send at a time manages
    one per round trip (10/s); with sends in flight to several chats the global limit sets the
    pace: 30 sends per 1 s + round trip (a send holds its slot from request to answer + 1 s),
    27.3/s. Catches a sender that waits for each answer, one that overlaps a chat's own messages
    or breaks their order, and one that lets more than 30 go in a second."""
    people = [3000 + n for n in range(60)]
    for n in range(4):
        for person in people:
            await add(lite, clock, person, f"{person}:{n}")
    transport.latency = 0.1
    config = SenderConfig(max_in_flight=in_flight)

    sent = await deliver_ready(lite, transport, config, clock)

    assert sent == 240
    for person in people:
        assert transport.texts(person) == [f"{person}:{n}" for n in range(4)]
    assert transport.most_in_flight == in_flight
    assert_within_the_limits(transport.sent)
    elapsed = max(s.at for s in transport.sent) - min(s.start for s in transport.sent)
    rate = len(transport.sent) / elapsed
    if in_flight == 1:
        assert rate == pytest.approx(1 / transport.latency, rel=0.05)  # the sender as it was
    else:
        assert rate >= 0.97 * 30 / (1 + transport.latency)
        # The global window, not the round trip, held sends back: most of them started the moment
        # the 30th send before them had been answered a second earlier.
        done = sorted(transport.sent, key=lambda s: s.start)
        tight = sum(s.start - sorted(o.at for o in done[:k])[-30] < 1.001 for k, s in enumerate(done) if k >= 30)
        assert tight >= 0.9 * (len(done) - 30)
