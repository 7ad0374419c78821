"""Who acts, when and through which channel: passed into every state change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypedDict

from domain.master import Role, User


class Source(StrEnum):
    CHAT = "chat"
    CLI = "cli"
    SCHEDULER = "scheduler"
    IMPORT = "import"


class Stamp(TypedDict):
    at: datetime
    actor_id: int | None
    source: str
    ref: str


@dataclass(frozen=True, slots=True)
class Act:
    user: User | None  # None: the system itself (scheduler, migrations)
    at: datetime
    source: Source

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("Act.at must be timezone-aware")

    @property
    def actor_id(self) -> int | None:
        return self.user.id if self.user else None

    def require(self, allowed: frozenset[Role], action: str) -> None:
        if self.user is not None:  # the system (import, scheduler) acts with full rights
            self.user.require(allowed, action)

    def stamp(self, ref: str) -> Stamp:
        """The common fields of every event raised by this act."""
        return {"at": self.at, "actor_id": self.actor_id, "source": self.source.value, "ref": ref}
