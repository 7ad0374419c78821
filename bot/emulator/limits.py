"""Flood limits the way Telegram applies them to bots: per chat, per group, overall.

Off by default so ordinary tests never see a 429; a test of a flood-safe sender turns them on
(``FloodLimits.telegram()``). Once a 429 is given, the chat stays refused until its retry_after
has passed, and each request sent before then is counted as an early retry. ``refuse_every=n``
also answers 429 to every n-th message that the limits would let through, to test retrying.
The gate's clock can be replaced (one running faster than real time, shared with the sender).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.emulator.errors import too_many_requests


@dataclass(frozen=True)
class FloodLimits:
    per_chat_per_second: int | None = None
    per_group_per_minute: int | None = None
    overall_per_second: int | None = None
    refuse_every: int | None = None  # answer 429 to every n-th message that would pass
    refuse_retry_after: int = 1

    @classmethod
    def telegram(cls) -> FloodLimits:
        """Telegram's published limits for bots."""
        return cls(per_chat_per_second=1, per_group_per_minute=20, overall_per_second=30)

    @property
    def enabled(self) -> bool:
        limits = (self.per_chat_per_second, self.per_group_per_minute, self.overall_per_second, self.refuse_every)
        return any(v is not None for v in limits)


class FloodGate:
    def __init__(self, limits: FloodLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or FloodLimits()
        self.clock = clock
        self.early_retries = 0
        self.passed = 0  # messages the limits let through, for refuse_every
        self._per_chat: dict[int, deque[float]] = {}
        self._per_group: dict[int, deque[float]] = {}
        self._overall: deque[float] = deque()
        self._blocked_until: dict[int, float] = {}

    def configure(self, limits: FloodLimits) -> None:
        self.limits = limits
        self._blocked_until.clear()

    def admit(self, chat_id: int, is_group: bool) -> None:
        """Record one outgoing message, or raise 429 if it breaks a limit."""
        if not self.limits.enabled:
            return
        now = self.clock()
        blocked = self._blocked_until.get(chat_id, 0.0)
        if now < blocked:
            self.early_retries += 1
            raise too_many_requests(max(1, math.ceil(blocked - now)))
        chat = self._per_chat.setdefault(chat_id, deque())
        group = self._per_group.setdefault(chat_id, deque())
        waits = [
            _wait(chat, self.limits.per_chat_per_second, 1.0, now),
            _wait(group, self.limits.per_group_per_minute if is_group else None, 60.0, now),
            _wait(self._overall, self.limits.overall_per_second, 1.0, now),
        ]
        wait = max(waits)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self._blocked_until[chat_id] = now + retry_after
            raise too_many_requests(retry_after)
        self.passed += 1
        if self.limits.refuse_every and self.passed % self.limits.refuse_every == 0:
            self._blocked_until[chat_id] = now + self.limits.refuse_retry_after
            raise too_many_requests(self.limits.refuse_retry_after)
        chat.append(now)
        if is_group:
            group.append(now)
        self._overall.append(now)


def _wait(stamps: deque[float], limit: int | None, window: float, now: float) -> float:
    """Seconds until one more message fits in the window (0 if it fits now)."""
    while stamps and stamps[0] <= now - window:
        stamps.popleft()
    if limit is None or len(stamps) < limit:
        return 0.0
    return stamps[len(stamps) - limit] + window - now
