"""Translating driver errors into domain errors, in one place."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from domain.errors import ConcurrencyConflict

# PostgreSQL: deadlock_detected, serialization_failure, lock_not_available.
_RETRYABLE_SQLSTATES = {"40P01", "40001", "55P03"}


def is_retryable(exc: DBAPIError) -> bool:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code is None and orig is not None:
        code = getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    return code in _RETRYABLE_SQLSTATES


def translate(exc: DBAPIError) -> Exception:
    if is_retryable(exc):
        return ConcurrencyConflict(str(exc.orig))
    return exc
