"""What the sender needs from Telegram, and the ways a send can fail, without aiogram.

The bot layer adapts aiogram to this (bot/delivery.py); tests record instead. Each failure
tells the sender what to do next, so the sender never inspects error texts.
"""

from __future__ import annotations

from typing import Any, Protocol


class Transport(Protocol):
    async def send_message(self, chat_id: int, thread_id: int | None, text: str, markup: dict[str, Any] | None) -> int:
        """Send HTML text (with an inline keyboard as Bot API JSON) and return the message id."""
        ...

    async def send_photo(
        self, chat_id: int, thread_id: int | None, photo: bytes, caption: str, markup: dict[str, Any] | None
    ) -> int:
        """Send a PNG with an HTML caption and return the message id."""
        ...


class SendError(Exception):
    """A send that did not happen (as far as we know)."""


class RetryAfter(SendError):
    """429: the chat may not be written to for `seconds`; not a failure of the message."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds:g} s")
        self.seconds = seconds


class Forbidden(SendError):
    """403: the bot was blocked by the person or removed from the group; no message will get there."""


class MigratedTo(SendError):
    """The group became a supergroup with a new id; the same message may be sent there."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"group migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class BadRequest(SendError):
    """400: Telegram refuses this message as it is; sending it again cannot succeed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientError(SendError):
    """Network trouble or a Telegram server error (5xx): worth trying again later."""


class TopicGone(BadRequest):
    """400 "message thread not found": the forum topic was deleted (the chat itself is fine).
    A BadRequest, so a sender that does not know it still drops the message."""
