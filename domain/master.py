"""Master data: items, partners, warehouses and the people allowed to act."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from domain.errors import InvalidInput, PermissionDenied
from domain.values import CURRENCY_RE, check_price, check_qty

CODE_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
MAIN_WAREHOUSE = "MAIN"
LANGUAGES = ("zh", "en")


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    BUYER = "buyer"
    WAREHOUSE = "warehouse"
    SALES = "sales"
    VIEWER = "viewer"


# Who may do what, besides the approval ladder (which has its own roles per tier).
PURCHASING = frozenset({Role.ADMIN, Role.MANAGER, Role.BUYER})
RECEIVING = frozenset({Role.ADMIN, Role.MANAGER, Role.WAREHOUSE})
SELLING = frozenset({Role.ADMIN, Role.MANAGER, Role.SALES})
SHIPPING = frozenset({Role.ADMIN, Role.MANAGER, Role.WAREHOUSE})
ADJUSTING = frozenset({Role.ADMIN, Role.MANAGER, Role.WAREHOUSE})
MASTER_DATA = frozenset({Role.ADMIN, Role.MANAGER})
ADMINISTRATION = frozenset({Role.ADMIN})


def check_code(value: str, *, field: str = "code") -> str:
    value = value.strip()
    if not CODE_RE.match(value):
        raise InvalidInput(field, value, "bad_code")
    return value


def check_name(value: str, *, field: str = "name", limit: int = 120) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(field, value, "required")
    if len(value) > limit:
        raise InvalidInput(field, value, "too_long")
    return value


def check_currency(value: str) -> str:
    value = value.strip().upper()
    if not CURRENCY_RE.match(value):
        raise InvalidInput("currency", value, "bad_currency")
    return value


@dataclass(slots=True)
class User:
    id: int
    name: str
    roles: frozenset[Role]
    language: str = "zh"
    active: bool = True
    # Set when the person picked a language in /settings; until then the chat follows the
    # language of their Telegram app, and `language` is only what pushed messages use.
    language_chosen: bool = False

    def __post_init__(self) -> None:
        if self.id <= 0:
            raise InvalidInput("user_id", str(self.id), "must_be_positive")
        self.name = check_name(self.name, field="user_name", limit=64)
        if self.language not in LANGUAGES:
            raise InvalidInput("language", self.language, "unknown_language")

    def may(self, allowed: frozenset[Role]) -> bool:
        return self.active and bool(self.roles & allowed)

    def require(self, allowed: frozenset[Role], action: str) -> None:
        if not self.active:
            raise PermissionDenied(action, frozenset(allowed), why="inactive")
        if not self.roles & allowed:
            raise PermissionDenied(action, frozenset(allowed))


@dataclass(slots=True)
class Item:
    sku: str
    name: str
    unit: str = "pcs"
    barcode: str | None = None
    category: str | None = None
    reorder_point: Decimal = Decimal(0)
    reorder_qty: Decimal | None = None
    max_qty: Decimal | None = None
    pack_size: Decimal = Decimal(1)
    lead_time_days: int = 0
    default_supplier_id: int | None = None
    std_cost: Decimal | None = None
    last_cost: Decimal | None = None
    active: bool = True
    id: int | None = None
    version: int = 0

    def __post_init__(self) -> None:
        self.sku = check_code(self.sku, field="sku")
        self.name = check_name(self.name)
        self.unit = check_name(self.unit, field="unit", limit=16)
        self.reorder_point = check_qty(self.reorder_point, field="reorder_point", allow_zero=True)
        if self.reorder_qty is not None:
            self.reorder_qty = check_qty(self.reorder_qty, field="reorder_qty", allow_zero=True)
        if self.max_qty is not None:
            self.max_qty = check_qty(self.max_qty, field="max_qty", allow_zero=True)
            if self.max_qty and self.max_qty < self.reorder_point:
                raise InvalidInput("max_qty", str(self.max_qty), "below_reorder_point")
        self.pack_size = check_qty(self.pack_size, field="pack_size")
        if not 0 <= self.lead_time_days <= 3650:
            raise InvalidInput("lead_time_days", str(self.lead_time_days), "out_of_range")
        for name in ("std_cost", "last_cost"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, check_price(value, "CNY", field=name))

    @property
    def key(self) -> str:
        return self.sku.lower()


@dataclass(slots=True)
class Partner:
    """A supplier or a customer; suppliers also promise a lead time."""

    code: str
    name: str
    phone: str | None = None
    email: str | None = None
    chat: str | None = None
    currency: str = "CNY"
    payment_terms: str | None = None
    lead_time_days: int = 0
    active: bool = True
    id: int | None = None

    def __post_init__(self) -> None:
        self.code = check_code(self.code)
        self.name = check_name(self.name)
        self.currency = check_currency(self.currency)
        if self.email is not None and self.email and "@" not in self.email:
            raise InvalidInput("email", self.email, "bad_email")
        if not 0 <= self.lead_time_days <= 3650:
            raise InvalidInput("lead_time_days", str(self.lead_time_days), "out_of_range")


class Supplier(Partner):
    __slots__ = ()


class Customer(Partner):
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Warehouse:
    id: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class ItemRef:
    """The little of an item that order lines and messages need."""

    id: int
    sku: str
    name: str = field(default="")
