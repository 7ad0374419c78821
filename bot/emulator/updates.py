"""The bot's update queue: getUpdates long polling with offsets, allowed_updates, redelivery."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Telegram's default when allowed_updates was never given: everything but these three.
_NOT_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}


@dataclass
class _Pending:
    update: dict[str, Any]
    handed_out: bool = False
    # A redelivered update keeps its old id, below the bot's offset; it must survive that offset
    # until the bot has actually been given it once.
    redelivered: bool = False


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
    ip_address: str = "127.0.0.1"
    allowed_updates: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class UpdateQueue:
    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self.pending: list[_Pending] = []
        self.history: dict[int, dict[str, Any]] = {}
        self.next_id = 700_000_001
        self.allowed: set[str] | None = None  # None: Telegram's default set
        self.webhook: WebhookConfig | None = None
        self.last_handout = time.monotonic()
        self._arrived = asyncio.Event()
        self._poll_generation = 0
        self.closing = False
        self.pollers_waiting = 0

    def accepts(self, kind: str) -> bool:
        return kind in self.allowed if self.allowed else kind not in _NOT_BY_DEFAULT

    def set_allowed(self, allowed: list[str] | None) -> None:
        """Like Telegram: an empty list means "all defaults"; None (not given) keeps the previous setting."""
        if allowed is not None:
            self.allowed = set(allowed) or None

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update; None if the bot's allowed_updates filter drops it (as Telegram does)."""
        if not self.accepts(kind):
            return None
        update = {"update_id": self.next_id, kind: payload}
        self.next_id += 1
        self.history[self.next_id - 1] = update
        self.pending.append(_Pending(update))
        self._signal()
        return update

    def redeliver(self, update_id: int) -> dict[str, Any] | None:
        update = self.history.get(update_id)
        if update is None:
            return None
        self.pending.append(_Pending(update, redelivered=True))
        self._signal()
        return update

    def drop_pending(self) -> None:
        self.pending.clear()
        self._on_change()

    def confirm(self, offset: int) -> None:
        if offset < 0:
            # negative offset: keep only the last -offset updates, forget the rest
            self.pending = self.pending[offset:]
        else:
            self.pending = [p for p in self.pending if p.update["update_id"] >= offset or (p.redelivered and not p.handed_out)]
        self._on_change()

    def _signal(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()
        self._on_change()

    def wake_all(self) -> None:
        self._signal()

    async def take(self, offset: int | None, limit: int, seconds: float) -> list[dict[str, Any]] | None:
        """Long poll; None if a newer getUpdates call superseded this one (Telegram's 409)."""
        self._poll_generation += 1
        generation = self._poll_generation
        if self.pollers_waiting:
            self._signal()  # wake the older poller so it can step aside with a 409
        if offset is not None:
            self.confirm(offset)
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            if generation != self._poll_generation:
                return None
            batch = self.pending[:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if batch or remaining <= 0 or self.closing or self.webhook is not None:
                for item in batch:
                    item.handed_out = True
                if batch:
                    self.last_handout = time.monotonic()
                    self._on_change()
                return [item.update for item in batch]
            event = self._arrived
            self.pollers_waiting += 1
            self._on_change()
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await event.wait()
            finally:
                self.pollers_waiting -= 1

    def supersede_pollers(self) -> None:
        self._poll_generation += 1
        self._signal()

    def first_undelivered(self) -> dict[str, Any] | None:
        return self.pending[0].update if self.pending else None

    def delivered(self, update: dict[str, Any]) -> None:
        for i, item in enumerate(self.pending):
            if item.update is update:
                del self.pending[i]
                break
        self.last_handout = time.monotonic()
        self._on_change()

    async def wait_arrival(self, seconds: float) -> None:
        event = self._arrived
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()

    def has_unconsumed(self) -> bool:
        """Updates the bot has not confirmed (polling) or accepted (webhook) yet."""
        if self.webhook is not None:
            return bool(self.pending)
        return any(not p.handed_out for p in self.pending)
