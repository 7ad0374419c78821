"""The one-line forms of master data and user administration, parsed into plain values.

    /item new <sku> <name…> [unit=pcs] [rop=10] [max=50] [qty=20] [pack=5] [supplier=CODE] [lead=7]
    /item <sku> set <name|rop|max|qty|pack|supplier> <value…>
    /supplier new <CODE> <name…> [currency=CNY] [lead=7] [phone=…] [email=…] [chat=@…] [terms=…]
    /customer new <CODE> <name…> [currency=CNY] [phone=…] [email=…] [chat=@…] [terms=…]
    /users add <id> <name…> <role…> [lang=zh|en]
    /users roles <id> <role…>   (+role / -role add or remove one)

Pure functions: a bad word raises InvalidInput naming the field, the text and what is wrong.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.errors import InvalidInput
from domain.master import LANGUAGES, Role, check_code, check_name
from domain.values import parse_qty
from handlers.forms import first_word, tokens

# The names the forms accept for each item field (short ones to type on a phone, and the long ones).
ITEM_FIELDS = {
    "name": "name",
    "unit": "unit",
    "rop": "reorder_point",
    "reorder_point": "reorder_point",
    "max": "max_qty",
    "max_qty": "max_qty",
    "qty": "reorder_qty",
    "reorder_qty": "reorder_qty",
    "pack": "pack_size",
    "pack_size": "pack_size",
    "supplier": "default_supplier",
    "lead": "lead_time_days",
    "lead_time_days": "lead_time_days",
}
EDITABLE = ("name", "reorder_point", "max_qty", "reorder_qty", "pack_size", "default_supplier")
PARTNER_OPTIONS = {"currency", "lead", "phone", "email", "chat", "terms"}
# Role names in Chinese as well: 采购 is as good as buyer.
ROLE_WORDS = {
    **{r.value: r for r in Role},
    "管理员": Role.ADMIN,
    "经理": Role.MANAGER,
    "采购": Role.BUYER,
    "仓库": Role.WAREHOUSE,
    "销售": Role.SALES,
    "只读": Role.VIEWER,
}
MAX_USER_ID = 2**52  # Telegram's ids fit in 52 bits


def split_options(words: list[str], allowed: set[str]) -> tuple[list[str], dict[str, str]]:
    """The plain words, and the key=value options (keys lower-cased, each at most once)."""
    plain: list[str] = []
    options: dict[str, str] = {}
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            plain.append(word)
            continue
        key = key.lower()
        if key not in allowed:
            raise InvalidInput("option", word, "unknown_option")
        if key in options:
            raise InvalidInput("option", word, "option_twice")
        options[key] = value
    return plain, options


def whole_number(text: str, field: str, *, low: int = 0, high: int = 3650) -> int:
    cleaned = first_word(text)
    if not cleaned.isdigit():
        raise InvalidInput(field, text, "not_an_integer")
    value = int(cleaned)
    if not low <= value <= high:
        raise InvalidInput(field, text, "out_of_range")
    return value


def item_value(field: str, text: str) -> Any:
    """One item field's value as typed, checked the way the item will check it."""
    text = text.strip()
    if field == "name":
        return check_name(text)
    if field == "unit":
        return check_name(text, field="unit", limit=16)
    if field == "reorder_point":
        return parse_qty(text, field=field, allow_zero=True)
    if field in ("max_qty", "reorder_qty", "pack_size"):
        return parse_qty(text, field=field)
    if field == "default_supplier":
        return check_code(text, field="supplier")
    if field == "lead_time_days":
        return whole_number(text, field)
    raise InvalidInput("field", field, "unknown_field")


def item_field(word: str) -> str:
    field = ITEM_FIELDS.get(word.lower())
    if field is None:
        raise InvalidInput("field", word, "unknown_field")
    return field


def parse_new_item(text: str) -> dict[str, Any]:
    """`<sku> <name…> [key=value…]` as keyword arguments of CreateItem."""
    plain, options = split_options(tokens(text), set(ITEM_FIELDS) - {"name"})
    if not plain:
        raise InvalidInput("sku", "", "required")
    values: dict[str, Any] = {"sku": check_code(plain[0], field="sku"), "name": check_name(" ".join(plain[1:]))}
    for key, raw in options.items():
        values[ITEM_FIELDS[key]] = item_value(ITEM_FIELDS[key], raw)
    maximum, point = values.get("max_qty"), values.get("reorder_point", Decimal(0))
    if maximum is not None and maximum < point:
        raise InvalidInput("max_qty", str(maximum), "below_reorder_point")
    return values


CLEAR_WORDS = frozenset({"none", "-", "clear", "无", "清除"})
CLEARABLE = frozenset({"max_qty", "default_supplier"})  # optional on an item: may be emptied


def item_change(field: str, text: str) -> dict[str, Any]:
    """UpdateItem's arguments for one field as typed; `none` (or `-`, 无) empties an optional one."""
    if field in CLEARABLE and text.strip().lower() in CLEAR_WORDS:
        return {"clear": (field,)}
    return {field: item_value(field, text)}


def parse_item_set(words: list[str]) -> dict[str, Any]:
    """`<field> <value…>` after `/item <sku> set`: UpdateItem's arguments."""
    if len(words) < 2:
        raise InvalidInput("field", " ".join(words), "set_form")
    field = item_field(words[0])
    if field not in EDITABLE:
        raise InvalidInput("field", words[0], "not_editable")
    return item_change(field, " ".join(words[1:]))


def parse_new_partner(text: str, kind: str) -> dict[str, Any]:
    """`<CODE> <name…> [key=value…]` as keyword arguments of CreatePartner."""
    allowed = PARTNER_OPTIONS if kind == "supplier" else PARTNER_OPTIONS - {"lead"}
    plain, options = split_options(tokens(text), allowed)
    if not plain:
        raise InvalidInput("code", "", "required")
    values: dict[str, Any] = {"code": check_code(plain[0]).upper(), "name": check_name(" ".join(plain[1:]))}
    if "currency" in options:
        values["currency"] = options["currency"].upper()
    if "lead" in options:
        values["lead_time_days"] = whole_number(options["lead"], "lead_time_days")
    for key, name in (("phone", "phone"), ("email", "email"), ("chat", "chat"), ("terms", "payment_terms")):
        if key in options:
            values[name] = check_name(options[key], field=name, limit=120)
    return values


def role_of(word: str) -> Role | None:
    return ROLE_WORDS.get(word.strip().lower())


def parse_roles(words: list[str]) -> tuple[str, ...]:
    """Role names, space- or comma-separated, in English or Chinese."""
    names = [w for word in words for w in word.replace("，", ",").split(",") if w]
    roles = []
    for name in names:
        role = role_of(name)
        if role is None:
            raise InvalidInput("roles", name, "unknown_role")
        roles.append(role.value)
    if not roles:
        raise InvalidInput("roles", "", "required")
    return tuple(dict.fromkeys(roles))


def parse_role_changes(words: list[str], current: frozenset[Role]) -> tuple[str, ...]:
    """`<role…>` sets exactly these; `+role` and `-role` add to or take from the current ones."""
    if words and all(w[:1] in "+-" for w in words):
        roles = set(current)
        for word in words:
            role = role_of(word[1:])
            if role is None:
                raise InvalidInput("roles", word, "unknown_role")
            (roles.add if word[0] == "+" else roles.discard)(role)
        return tuple(sorted(roles))
    return parse_roles(words)


def user_id(text: str) -> int:
    cleaned = first_word(text)
    if not cleaned.isdigit() or not 0 < int(cleaned) < MAX_USER_ID:
        raise InvalidInput("user_id", text, "not_a_user_id")
    return int(cleaned)


def parse_new_user(text: str) -> tuple[int, str, tuple[str, ...], str | None]:
    """`<id> <name…> <role…> [lang=zh|en]`: the roles are the trailing words that are role names."""
    plain, options = split_options(tokens(text), {"lang"})
    if not plain:
        raise InvalidInput("user_id", "", "required")
    uid = user_id(plain[0])
    rest = plain[1:]
    cut = len(rest)
    # Exact, lower-case role words only: "Sam Sales viewer" is Sam Sales, a viewer.
    while cut > 0 and all(w in ROLE_WORDS for w in rest[cut - 1].replace("，", ",").split(",") if w):
        cut -= 1
    name = check_name(" ".join(rest[:cut]), field="user_name", limit=64)
    roles = parse_roles(rest[cut:])
    lang = options.get("lang")
    if lang is not None and lang.lower() not in LANGUAGES:
        raise InvalidInput("language", lang, "unknown_language")
    return uid, name, roles, lang.lower() if lang else None


def role_mask(roles: frozenset[Role] | set[Role]) -> int:
    """Roles as bits in Role's order: short enough for a button's 64 bytes."""
    return sum(1 << i for i, role in enumerate(Role) if role in roles)


def roles_in(mask: int) -> frozenset[Role]:
    return frozenset(role for i, role in enumerate(Role) if mask >> i & 1)
