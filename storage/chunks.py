"""Long key lists go to the database in slices: every driver limits bound parameters per
statement (SQLite 32,766 here, asyncpg 32,767), and one IN list per slice stays far below."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

KEYS_PER_QUERY = 500

T = TypeVar("T")


def slices(values: Sequence[T], size: int = KEYS_PER_QUERY) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])
