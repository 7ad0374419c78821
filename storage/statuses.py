"""Open orders' status values as IN lists, sorted: a frozenset's order differs between processes."""

from __future__ import annotations

from domain.purchasing import OPEN_INBOUND
from domain.sales import OPEN_OUTBOUND

OPEN_PO = sorted(s.value for s in OPEN_INBOUND)
OPEN_SO = sorted(s.value for s in OPEN_OUTBOUND)
