"""A team group where several people talk to the bot, and press buttons the bot drew for others."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.types import Chat, Message, Update, User

from tests.chat.harness import ChatHarness, Sent

GROUP = -100777


async def in_group(chat: ChatHarness, user_id: int, text: str, lang: str = "en") -> list[Sent]:
    """A message from the user in the team's group; what the bot sent in reply."""
    message = Message(
        message_id=next(chat.message_ids),
        date=datetime.now(UTC),
        chat=Chat(id=GROUP, type="supergroup", title="Team"),
        from_user=User(id=user_id, is_bot=False, first_name=f"u{user_id}", language_code=lang),
        text=text,
    )
    return await chat.feed(Update(update_id=next(chat.update_ids), message=message))


def untouched(sent: Sent, edits: int = 0) -> bool:
    """The message still shows its buttons and was not edited (beyond `edits` times)."""
    return sent.edits == edits and bool(sent.buttons())
