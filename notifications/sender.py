"""The one sender: drains the delivery queue through a Transport, under the flood limits.

What it guarantees:
- Per chat, messages go out in the order they were queued; a message waiting for a retry holds
  back the later ones of its chat, never those of other chats. Among chats, the one the pacer
  lets go soonest goes next, so a group at its 20-a-minute limit does not hold back people.
- The pacer's limits are never exceeded (see notifications/pacer.py); a 429 holds the chat for
  its retry_after (and is not counted as a failure).
- Network and server errors are retried with doubling waits (capped by max_backoff_seconds)
  until max_attempts; a 400 is dead at once with Telegram's reason; a 403 (or a chat Telegram
  no longer knows) marks the chat inactive, drops what waits for it and tells the admins once;
  a deleted forum topic loses its bindings and what waits for it, and the admins are told once;
  a migrated group gets its bindings, target and queue moved and the message is sent again to
  the new id.
- At least once: a crash between a send and its recording sends that message again after the
  claim's lease ends (logged as a possible duplicate); only the messages in flight at the crash
  (at most `max_in_flight`, one per chat) can be sent twice, nothing else.
- A pass that fails (the database away) gives back the leases it holds on the way out, so
  their chats do not wait for the leases to end.
- One bad delivery never stops the loop; each outcome is one log line on "caixiao.sender"
  with ids only.

Sends to different chats overlap: up to `max_in_flight` are in flight at once, each to its own
chat (a chat's messages go one at a time, the next when the previous has been answered and
recorded). The pacer counts each send in flight against the global window and every send by
when it finished, so the limits stay exact whatever the latency; the overall rate is then bound
by the limits (30 sends per 1 s + round trip at most) instead of by one round trip per message.
With max_in_flight = 1 sending is sequential, as it was before.

A send's claim and its outcome are separate short transactions (the sends' tasks share the
database); a pass that fails waits for the sends still in flight to be answered and recorded
before it gives back what it holds, and a pass that is cancelled cancels them (their messages
keep the in-flight mark: each may be sent again, logged as a possible duplicate).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import logging
import math
from collections.abc import Awaitable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from notifications.clocks import SenderClock, SystemClock
from notifications.i18n import pick_language, t
from notifications.pacer import Limits, Pacer
from notifications.transport import BadRequest, Forbidden, MigratedTo, RetryAfter, TopicGone, TransientError, Transport
from storage import deliveries as queue
from storage.database import Database
from storage.deliveries import IN_FLIGHT, Delivery

log = logging.getLogger("caixiao.sender")

# A claim outlives a send and the longest wait the pacer imposes on a chat we keep (a group's
# minute); if a sender dies, its chat is picked up by another (or after a restart) this late.
LEASE = timedelta(seconds=120)


class SenderSettings(Protocol):
    """bot.config.SenderConfig satisfies this."""

    @property
    def per_chat_per_second(self) -> int: ...
    @property
    def per_group_per_minute(self) -> int: ...
    @property
    def global_per_second(self) -> int: ...
    @property
    def max_backoff_seconds(self) -> float: ...
    @property
    def max_attempts(self) -> int: ...
    @property
    def poll_seconds(self) -> float: ...
    @property
    def max_in_flight(self) -> int: ...


def make_pacer(config: SenderSettings, clock: SenderClock) -> Pacer:
    limits = Limits(config.per_chat_per_second, config.per_group_per_minute, config.global_per_second)
    return Pacer(limits, clock.monotonic, clock.sleep)


def card_digest(text: str, markup: dict[str, object] | None) -> str:
    """bot.copies.digest() of the message as sent: the keyboard is stored as
    model_dump(mode="json", exclude_none=True), whose compact dump is model_dump_json()."""
    dumped = json.dumps(markup, separators=(",", ":"), ensure_ascii=False) if markup else ""
    return hashlib.sha1(f"{text}\x00{dumped}".encode(), usedforsecurity=False).hexdigest()


def backoff(attempts: int, cap: float) -> float:
    """Seconds before try number attempts + 1: 2, 4, 8, … up to cap."""
    return min(cap, 2.0 ** min(attempts, 30))


class Sender:
    def __init__(
        self,
        db: Database,
        transport: Transport,
        config: SenderSettings,
        clock: SenderClock | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.db, self.transport, self.config = db, transport, config
        self.clock: SenderClock = clock or SystemClock()
        # One pacer for the sender's life: windows must span passes.
        self.pacer = pacer or make_pacer(config, self.clock)
        self._retry_due = math.inf  # when the earliest retry this pass scheduled falls due (monotonic)
        self._owned: dict[int, datetime] = {}  # delivery id -> token of a lease we took
        # Every lease we hold and have not recorded an outcome for: id -> (token, may have been sent).
        self._held: dict[int, tuple[datetime, bool]] = {}

    async def deliver_ready(self, stop: asyncio.Event | None = None, wake: asyncio.Event | None = None) -> int:
        """One pass: send everything that is ready (waiting for the pacer as needed, and picking
        up what becomes ready meanwhile) until nothing is; returns how many were sent. New work
        is looked for when `wake` is set, when a retry we scheduled falls due, and at least every
        poll_seconds. Up to max_in_flight sends (to as many chats) run at once; when `stop` is
        set no new one starts and the pass returns once those in flight are recorded."""
        heads: dict[int, Delivery] = {}  # chat -> its next delivery (seen, or leased by us)
        flying: dict[int, asyncio.Task[tuple[int, Delivery | None]]] = {}  # chat -> its send
        most = max(1, self.config.max_in_flight)
        sent, look_at = 0, -math.inf
        self._retry_due = math.inf
        try:
            while True:
                sent += await self._collect(flying, heads)
                if stop is not None and stop.is_set():
                    break
                now = self.clock.monotonic()
                if (not heads and not flying) or now >= min(look_at, self._retry_due) or (wake is not None and wake.is_set()):
                    if wake is not None:
                        wake.clear()
                    self._retry_due = math.inf
                    for head in await queue.ready_heads(self.db, self.clock.now(), skip=heads.keys() | flying.keys()):
                        heads.setdefault(head.chat_id, head)
                    look_at = self.clock.monotonic() + self.config.poll_seconds
                    if not heads and not flying:
                        break
                    continue
                until = min(look_at, self._retry_due)  # with no room, only a send ending frees some
                if heads and len(flying) < most:
                    chat, wait = self._next_chat(heads)
                    if wait <= 0:
                        self.pacer.begin(chat)  # its slots are taken now, before the claim
                        flying[chat] = asyncio.create_task(self._deliver(heads.pop(chat)))
                        continue
                    until = min(until, now + wait)
                await self._nap(max(until - now, 0.0), stop, wake, sends=list(flying.values()))
        except BaseException:
            # Cancelled, or this loop itself failed: what is in flight dies with it (and keeps its
            # in-flight mark, so a resend is logged as a possible duplicate).
            await _cancel(flying.values())
            raise
        while flying:  # stopped: let the sends in flight be answered and recorded
            await asyncio.wait(list(flying.values()), return_when=asyncio.FIRST_COMPLETED)
            sent += await self._collect(flying, heads)
        return sent

    async def _collect(self, flying: dict[int, asyncio.Task[tuple[int, Delivery | None]]], heads: dict[int, Delivery]) -> int:
        """Take in the sends that have ended: their counts, and their chats' next deliveries.
        A send that failed fails the pass, after the others in flight have ended (their outcomes
        recorded where the database lets us; a crash, unlike an error, cancels them instead)."""
        sent = 0
        failure: BaseException | None = None
        for chat in [c for c, task in flying.items() if task.done()]:
            task = flying.pop(chat)
            if task.cancelled():
                failure = failure or asyncio.CancelledError()
                continue
            if (error := task.exception()) is not None:
                failure = failure or error
                continue
            delivered, following = task.result()
            sent += delivered
            if following is not None:
                heads[chat] = following
                self._owned[following.id] = following.next_attempt_at
        if failure is None:
            return sent
        if isinstance(failure, Exception):
            await asyncio.gather(*flying.values(), return_exceptions=True)
        else:
            await _cancel(flying.values())
        flying.clear()
        raise failure

    def _next_chat(self, heads: dict[int, Delivery]) -> tuple[int, float]:
        """The chat the pacer lets go soonest (the oldest head on a tie), and how long it waits."""
        chat = min(heads, key=lambda c: (self.pacer.ready_at(c), heads[c].id))
        return chat, self.pacer.wait_for(chat)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Pass after pass until `stop`; between passes sleeps until the next retry is due, for
        poll_seconds at most, or until `wake` is set (routing queued something)."""
        # SQLite: the only sender on this database, so leases left are a dead process's.
        if self.db.is_sqlite and (released := await queue.release_leases(self.db, self.clock.now())):
            log.warning("released %d deliveries leased before a restart; each may be sent twice", released)
        log.info("sender started")
        while not stop.is_set():
            if wake is not None:
                wake.clear()  # set again during the pass: one more pass right away
            pause = self.config.poll_seconds
            try:
                await self.deliver_ready(stop, wake)
                due = await queue.next_due(self.db)
                if due is not None:
                    pause = min(pause, max(0.0, (due - self.clock.now()).total_seconds()))
            except Exception:
                # The database may be away for a moment; the queue keeps everything for later.
                log.exception("sender pass failed; trying again in %.0f s", pause)
                await self._release_held()
            if pause > 0 and not stop.is_set():
                await self._nap(pause, stop, wake)
        await self._release_held()  # stopped mid-pass: what we leased ahead is free at once
        log.info("sender stopped")

    async def _release_held(self) -> None:
        """Give back the leases we hold (see queue.release), where the database lets us."""
        held, self._held = self._held, {}
        self._owned.clear()
        if not held:
            return
        try:
            released = await queue.release(self.db, held, self.clock.now())
        except Exception:
            log.warning("could not give back %d leased deliveries; they wait for their leases to end", len(held), exc_info=True)
            return
        log.info("gave back %d leased deliveries", released)

    async def _nap(
        self, seconds: float, *events: asyncio.Event | None, sends: Sequence[asyncio.Task[tuple[int, Delivery | None]]] = ()
    ) -> None:
        """Sleep `seconds`, or less: until an event is set or one of `sends` ends."""
        waiting = [e for e in events if e is not None]
        if not waiting and not sends:
            await self.clock.sleep(seconds)
            return
        tasks: list[asyncio.Task[object]] = [asyncio.ensure_future(_wait(e.wait())) for e in waiting]
        tasks.append(asyncio.ensure_future(_wait(self.clock.sleep(seconds))))
        try:
            await asyncio.wait([*tasks, *sends], return_when=asyncio.FIRST_COMPLETED)
        finally:
            await _cancel(tasks)

    async def _deliver(self, seen: Delivery) -> tuple[int, Delivery | None]:
        """Claim, send, record: (1 if sent, the chat's next delivery if we keep the chat). The
        pacer's `begin` for the chat has been called; this ends (or cancels) it."""
        now = self.clock.now()
        if self._owned.pop(seen.id, None) == seen.next_attempt_at and seen.next_attempt_at - now >= LEASE / 2:
            d: Delivery | None = seen  # leased to us when its predecessor was recorded, with time to spare
        else:
            self._held.pop(seen.id, None)  # a lease of ours that ran short: claimed again below
            try:
                d = await queue.claim(self.db, seen, now, now + LEASE)
            except BaseException:
                self.pacer.cancel(seen.chat_id)
                raise
        if d is None:
            self.pacer.cancel(seen.chat_id)  # nothing was sent
            return 0, None  # another sender has it, or it changed since we looked
        if seen.last_error == IN_FLIGHT and d is not seen:
            log.warning(
                "delivery %d to chat %d: a sender stopped while sending it; sending again (may be a duplicate)", d.id, d.chat_id
            )
        # Until its outcome is recorded the message may have gone out: a failed pass gives the
        # lease back but keeps it marked in flight.
        self._held[d.id] = (d.next_attempt_at, True)
        sent, following = await self._attempt(d)
        self._held.pop(d.id, None)
        if following is not None:
            self._held[following.id] = (following.next_attempt_at, False)
        return sent, following

    async def _attempt(self, d: Delivery) -> tuple[int, Delivery | None]:
        try:
            try:
                message_id = await self._send(d)
            finally:
                self._ended(d)  # whatever the answer (or none: cancelled), Telegram may have counted it
        except RetryAfter as exc:
            self.pacer.hold(d.chat_id, exc.seconds)
            await queue.reschedule(self.db, d, self.clock.now() + timedelta(seconds=exc.seconds), f"429: {exc}", failed=False)
            self._due_in(exc.seconds)
            log.info("delivery %d to chat %d: 429, held for %g s", d.id, d.chat_id, exc.seconds)
            return 0, None
        except MigratedTo as exc:
            migration = await queue.migrate_chat(self.db, d.chat_id, exc.new_chat_id, self.clock.now())
            log.info(
                "delivery %d: chat %d migrated to %d; %d deliveries moved", d.id, d.chat_id, exc.new_chat_id, migration.moved
            )
            if migration.configured:
                log.warning(
                    "chat %d became chat %d: its alert bindings from config.toml were moved, but they go back to the old id "
                    "at every restart; write chat_id = %d instead of %d in [alerts] bindings",
                    d.chat_id,
                    exc.new_chat_id,
                    exc.new_chat_id,
                    d.chat_id,
                )
            return 0, None
        except Forbidden as exc:
            reason = str(exc) or "forbidden"
            told = await queue.deactivate_target(
                self.db, d.chat_id, reason, self.clock.now(), _notice("sender.chat_inactive", d.chat_id, reason)
            )
            log.warning(
                "delivery %d to chat %d: dead, chat refuses the bot (403)%s", d.id, d.chat_id, "; admins told" if told else ""
            )
            return 0, None
        except TopicGone as exc:
            if not d.thread_id:  # pragma: no cover - Telegram says this only of a topic
                return 0, await self._dead(d, exc)
            now = self.clock.now()
            reason = exc.reason or "message thread not found"
            dropped = await queue.drop_topic(
                self.db, d, reason, now, _notice("sender.topic_gone", d.chat_id, reason, topic=d.thread_id), now + LEASE
            )
            log.warning(
                "delivery %d to chat %d: dead, topic %d is gone; its bindings removed%s",
                d.id,
                d.chat_id,
                d.thread_id,
                "; admins told" if dropped.told else "",
            )
            if dropped.configured:
                log.warning(
                    "topic %d of chat %d is gone but is bound in config.toml: remove it from [alerts] bindings or it is "
                    "bound again at the next restart",
                    d.thread_id,
                    d.chat_id,
                )
            return 0, dropped.following
        except BadRequest as exc:
            return 0, await self._dead(d, exc)
        except Exception as exc:
            # TransientError, or a bug in a transport: either way the message deserves a retry.
            if not isinstance(exc, TransientError):
                log.exception("delivery %d to chat %d: unexpected error from the transport", d.id, d.chat_id)
            await self._retry_later(d, f"{type(exc).__name__}: {exc}")
            return 0, None
        now = self.clock.now()
        digest = card_digest(d.text, d.markup) if d.card_kind else ""
        following = await queue.mark_sent(self.db, d, message_id, now, now + LEASE, digest)
        log.info("delivery %d to chat %d (%s): sent as message %d", d.id, d.chat_id, d.kind, message_id)
        return 1, following

    async def _dead(self, d: Delivery, exc: BadRequest) -> Delivery | None:
        now = self.clock.now()
        following = await queue.mark_dead(self.db, d, f"400: {exc.reason}", now, now + LEASE)
        log.warning("delivery %d to chat %d: dead, 400 %s", d.id, d.chat_id, exc.reason)
        return following

    def _due_in(self, seconds: float) -> None:
        self._retry_due = min(self._retry_due, self.clock.monotonic() + seconds)

    def _ended(self, d: Delivery) -> None:
        self.pacer.end(d.chat_id)

    async def _send(self, d: Delivery) -> int:
        thread = d.thread_id or None
        if d.photo is not None:
            return await self.transport.send_photo(d.chat_id, thread, d.photo, d.text, d.markup)
        return await self.transport.send_message(d.chat_id, thread, d.text, d.markup)

    async def _retry_later(self, d: Delivery, error: str) -> None:
        attempts = d.attempts + 1
        now = self.clock.now()
        if attempts >= self.config.max_attempts:
            await queue.mark_dead(self.db, d, f"gave up after {attempts} attempts: {error}", now)
            log.warning("delivery %d to chat %d: dead after %d attempts (%s)", d.id, d.chat_id, attempts, error)
            return
        wait = backoff(attempts, self.config.max_backoff_seconds)
        await queue.reschedule(self.db, d, now + timedelta(seconds=wait), error, failed=True)
        self._due_in(wait)
        log.info("delivery %d to chat %d: attempt %d failed (%s); next in %g s", d.id, d.chat_id, attempts, error, wait)


async def _wait(awaitable: Awaitable[object]) -> object:
    return await awaitable


async def _cancel(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel and wait for them (their errors are theirs: not raised here)."""
    pending = list(tasks)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def _notice(key: str, chat_id: int, reason: str, **more: object) -> queue.NoticeRenderer:
    """What the admins are told, in each admin's language, naming the chat by its title."""

    def render(language: str, title: str | None) -> tuple[str, str]:
        lang = pick_language(language, "zh")
        chat = html.escape(f"{title} ({chat_id})" if title else str(chat_id))
        return lang, t(lang, key, chat=chat, reason=html.escape(reason), **more)

    return render


async def deliver_ready(
    db: Database,
    transport: Transport,
    config: SenderSettings,
    clock: SenderClock | None = None,
    *,
    pacer: Pacer | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """One pass (see Sender.deliver_ready). Give consecutive passes the same `pacer`, or the
    limits only hold within each pass."""
    return await Sender(db, transport, config, clock, pacer).deliver_ready(stop)


async def sender_loop(
    db: Database,
    transport: Transport,
    config: SenderSettings,
    clock: SenderClock | None = None,
    *,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
) -> None:
    """Deliver until `stop` is set, waking early when `wake` is set. Never raises for one bad
    delivery or a passing database error."""
    await Sender(db, transport, config, clock).run(stop, wake)
