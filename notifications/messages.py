"""What routing hands to delivery: one message for one chat, already rendered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class OutMessage:
    text: str  # HTML; a photo's caption when `photo` is set (then at most 1024 characters)
    markup: dict[str, Any] | None = None  # an inline keyboard as Bot API JSON
    photo: bytes | None = None  # PNG
    card: tuple[str, str] | None = None  # ("p" or "s", ref): remember as a card copy once sent
