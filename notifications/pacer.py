"""Telegram's flood limits, kept on our side so Telegram never has to answer 429.

Each limit is a sliding window over the times sends *finished*: a message is admitted by Telegram
somewhere between the moment we start the request and the moment the answer arrives, so counting
a finished send at its finish time (and a send still in flight as occupying its slot) never
undercounts what Telegram saw in any window, whatever the network latency. A send to a chat may
start when all of these hold:

- the chat has no send in flight and its last `per_chat_per_second` sends finished >= 1 s ago;
- for a group (negative chat id), fewer than `per_group_per_minute` sends finished in the last 60 s;
- fewer than `global_per_second` sends are in flight or finished in the last second (several
  chats may have a send in flight at once: each holds one global slot until it finishes);
- a 429's `retry_after` for the chat has expired.

Pure: time comes from the injected `now` (seconds, monotonic) and `sleep`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

CHAT_WINDOW = 1.0
GROUP_WINDOW = 60.0
GLOBAL_WINDOW = 1.0
# Clocks that store microseconds round; a microsecond early is not a flood, and without the
# slack a waiter could sleep 0 s forever on a rounding difference.
SLACK = 1e-6


@dataclass(frozen=True, slots=True)
class Limits:
    per_chat_per_second: int = 1
    per_group_per_minute: int = 20
    global_per_second: int = 30


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; people have positive ones."""
    return chat_id < 0


def _free_at(stamps: deque[float], limit: int, busy: int, window: float) -> float:
    """When one more send fits: `stamps` are finish times (ascending), `busy` sends are in flight."""
    room = limit - busy
    if room <= 0:
        return math.inf  # only a finishing send can free a slot
    if len(stamps) < room:
        return -math.inf
    return stamps[len(stamps) - room] + window


class Pacer:
    def __init__(self, limits: Limits, now: Callable[[], float], sleep: Callable[[float], Awaitable[None]]) -> None:
        if min(limits.per_chat_per_second, limits.per_group_per_minute, limits.global_per_second) < 1:
            raise ValueError("every limit must allow at least one message")
        self.limits, self.now, self.sleep = limits, now, sleep
        # Only the newest `limit` finish times of a window can decide anything, hence maxlen.
        self._chat: dict[int, deque[float]] = {}
        self._group: dict[int, deque[float]] = {}
        self._global: deque[float] = deque(maxlen=limits.global_per_second)
        self._held: dict[int, float] = {}
        self._in_flight: set[int] = set()

    def ready_at(self, chat_id: int) -> float:
        """The earliest time a send to this chat may start (may be in the past; inf while the
        chat has a send in flight or every global slot is taken by one)."""
        if chat_id in self._in_flight:
            return math.inf
        lim = self.limits
        times = [
            self._held.get(chat_id, -math.inf),
            _free_at(self._chat.get(chat_id, deque()), lim.per_chat_per_second, 0, CHAT_WINDOW),
            _free_at(self._global, lim.global_per_second, len(self._in_flight), GLOBAL_WINDOW),
        ]
        if is_group(chat_id):
            times.append(_free_at(self._group.get(chat_id, deque()), lim.per_group_per_minute, 0, GROUP_WINDOW))
        return max(times)

    def wait_for(self, chat_id: int) -> float:
        """Seconds from now until `ready_at` (0 if ready now)."""
        wait = self.ready_at(chat_id) - self.now()
        return wait if wait > SLACK else 0.0

    def begin(self, chat_id: int) -> None:
        """A send starts now; call `end` when its answer (any answer) has arrived."""
        if self.wait_for(chat_id) > 0:
            raise RuntimeError(f"chat {chat_id} is not ready for another message yet")
        self._in_flight.add(chat_id)

    def cancel(self, chat_id: int) -> None:
        """The send begun for this chat never reached Telegram (its claim failed): free its slot
        without counting it."""
        self._in_flight.discard(chat_id)

    def end(self, chat_id: int) -> None:
        """Counted even when the send failed: Telegram may have admitted it before the error."""
        self._in_flight.discard(chat_id)
        at = self.now()
        self._chat.setdefault(chat_id, deque(maxlen=self.limits.per_chat_per_second)).append(at)
        if is_group(chat_id):
            self._group.setdefault(chat_id, deque(maxlen=self.limits.per_group_per_minute)).append(at)
        self._global.append(at)
        if len(self._chat) > 1000:
            self._forget_idle(at)

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram said 429: nothing to this chat for `seconds` from now."""
        self._held[chat_id] = max(self._held.get(chat_id, -math.inf), self.now() + seconds)

    async def acquire(self, chat_id: int) -> None:
        """Wait for the chat's turn, then `begin`."""
        while (wait := self.wait_for(chat_id)) > 0:
            if math.isinf(wait):
                raise RuntimeError(f"chat {chat_id} must wait for a send in flight to end")
            await self.sleep(wait)
        self.begin(chat_id)

    def _forget_idle(self, now: float) -> None:
        """Chats whose every window has passed hold no information; drop them to bound memory."""
        for chat_id in [c for c, s in self._chat.items() if s[-1] <= now - GROUP_WINDOW]:
            del self._chat[chat_id]
            self._group.pop(chat_id, None)
        self._held = {c: t for c, t in self._held.items() if t > now}
