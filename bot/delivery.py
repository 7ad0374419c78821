"""aiogram behind the sender's Transport: Bot API calls out, the sender's own errors back.

notifications/ never sees aiogram; this is the one place that knows which aiogram exception
means what for a message that is waiting to be delivered.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from notifications.transport import BadRequest, Forbidden, MigratedTo, RetryAfter, TopicGone, TransientError

# 400s that mean the place is gone, not that the message is wrong (Telegram's descriptions,
# e.g. "Bad Request: chat not found"): retrying or sending the next message there cannot help.
CHAT_GONE = ("chat not found", "group chat was deactivated")
TOPIC_GONE = ("message thread not found", "topic_deleted")


class AiogramTransport:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_message(self, chat_id: int, thread_id: int | None, text: str, markup: dict[str, Any] | None) -> int:
        return await _sent(
            self.bot.send_message(
                chat_id, text, message_thread_id=thread_id, reply_markup=_keyboard(markup), parse_mode=ParseMode.HTML
            )
        )

    async def send_photo(
        self, chat_id: int, thread_id: int | None, photo: bytes, caption: str, markup: dict[str, Any] | None
    ) -> int:
        upload = BufferedInputFile(photo, filename="chart.png")
        return await _sent(
            self.bot.send_photo(
                chat_id,
                upload,
                caption=caption,
                message_thread_id=thread_id,
                reply_markup=_keyboard(markup),
                parse_mode=ParseMode.HTML,
            )
        )


def _keyboard(markup: dict[str, Any] | None) -> InlineKeyboardMarkup | None:
    return InlineKeyboardMarkup.model_validate(markup) if markup else None


async def _sent(call: Awaitable[Message]) -> int:
    # Order matters: TelegramEntityTooLarge is a TelegramNetworkError but can never succeed.
    try:
        message = await call
    except TelegramRetryAfter as exc:
        raise RetryAfter(exc.retry_after) from exc
    except TelegramMigrateToChat as exc:
        raise MigratedTo(exc.migrate_to_chat_id) from exc
    except TelegramForbiddenError as exc:
        raise Forbidden(exc.message) from exc
    except TelegramBadRequest as exc:
        raise _bad_request(exc.message) from exc
    except (TelegramEntityTooLarge, TelegramNotFound) as exc:
        raise BadRequest(exc.message) from exc
    except (TelegramNetworkError, TelegramServerError) as exc:
        raise TransientError(exc.message) from exc
    except TelegramAPIError as exc:
        # 401 (token revoked) or a code Telegram may add: the message itself may well be fine.
        raise TransientError(exc.message) from exc
    return message.message_id


def _bad_request(description: str) -> BadRequest | Forbidden:
    """A chat the bot can no longer see goes the way of a 403 (inactive, admins told once); a
    deleted forum topic loses its bindings; anything else is this message's fault."""
    said = description.lower()
    if any(words in said for words in CHAT_GONE):
        return Forbidden(description)
    if any(words in said for words in TOPIC_GONE):
        return TopicGone(description)
    return BadRequest(description)
