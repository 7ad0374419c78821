"""Column types that keep Decimal exact on every backend: scaled integers, and UTC datetimes.

SQLite has no exact decimal type (NUMERIC there is a float), so quantities are stored as
thousandths and money as ten-thousandths in 64-bit integers; SQL arithmetic on them stays exact.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Dialect, type_coerce
from sqlalchemy.types import TypeDecorator


class _Scaled(TypeDecorator[Decimal]):
    impl = BigInteger
    cache_ok = True
    places = 0

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimals")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places).quantize(Decimal(1).scaleb(-self.places))

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class Qty(_Scaled):
    cache_ok = True
    places = 3


def as_qty(expr: Any) -> Any:
    """SQL arithmetic on Qty columns is typed as a plain integer (thousandths): read it as Qty."""
    return type_coerce(expr, Qty)


class Money(_Scaled):
    cache_ok = True
    places = 4


class UtcDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC everywhere; always returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return cast(datetime, value).astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return cast(datetime, value).replace(tzinfo=UTC)
