"""Bulk import: the columns each kind of file may have, and row-by-row validation.

Pure: the caller reads the file into rows of text (header first) and says which codes already
exist; validation reports every bad row (line as the user sees it, header = line 1), and only a
report without errors is handed to the use case that applies it. A caller that shows the report
somewhere small (the chat) may cap how many errors are kept: the rest are only counted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.errors import InvalidInput
from domain.master import MAIN_WAREHOUSE, Customer, Item, Supplier, check_code, check_currency
from domain.values import check_qty, parse_decimal, parse_price, parse_qty

KINDS = ("items", "suppliers", "customers", "stock")

Parser = Callable[[str, str], Any]  # (text, field) -> value; raises InvalidInput


def _text(text: str, name: str) -> str | None:
    return text.strip() or None


def _code(text: str, name: str) -> str:
    return check_code(text, field=name)


def _qty(default: Decimal | None) -> Parser:
    def parse(text: str, name: str) -> Decimal | None:
        if not text.strip():
            return default
        value = parse_decimal(text, field=name)
        if value < 0:
            raise InvalidInput(name, text, "must_not_be_negative")
        return check_qty(value, field=name, allow_zero=True)

    return parse


def _positive_qty(text: str, name: str) -> Decimal:
    return Decimal(1) if not text.strip() else parse_qty(text, field=name)


def _price(text: str, name: str) -> Decimal | None:
    return parse_price(text, "CNY", field=name) if text.strip() else None


def _days(text: str, name: str) -> int:
    if not text.strip():
        return 0
    value = parse_decimal(text, field=name)
    if value != value.to_integral_value():
        raise InvalidInput(name, text, "not_an_integer")
    if not 0 <= value <= 3650:
        raise InvalidInput(name, text, "out_of_range")
    return int(value)


def _currency(text: str, name: str) -> str:
    return check_currency(text) if text.strip() else "CNY"


def _unit(text: str, name: str) -> str:
    return text.strip() or "pcs"


def _warehouse(text: str, name: str) -> str:
    return check_code(text, field=name).upper() if text.strip() else MAIN_WAREHOUSE


def _required_text(text: str, name: str) -> str:
    if not text.strip():
        raise InvalidInput(name, text, "required")
    return text.strip()


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # the English header, also the field it fills (except `supplier`)
    zh: str
    parse: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()


_PARTNER = (
    Column("code", "编码", _code, required=True, aliases=("代码",)),
    Column("name", "名称", _required_text, required=True, aliases=("名字",)),
    Column("phone", "电话", _text, aliases=("手机",)),
    Column("email", "邮箱", _text, aliases=("电子邮件",)),
    Column("currency", "币种", _currency, aliases=("货币",)),
    Column("payment_terms", "付款条件", _text, aliases=("账期",)),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    "items": (
        Column("sku", "编码", _code, required=True, aliases=("物料编码", "商品编码", "货号")),
        Column("name", "名称", _required_text, required=True, aliases=("品名", "商品名称")),
        Column("unit", "单位", _unit),
        Column("reorder_point", "安全库存", _qty(Decimal(0)), aliases=("再订货点",)),
        Column("reorder_qty", "补货量", _qty(None), aliases=("订货量",)),
        Column("max_qty", "最高库存", _qty(None)),
        Column("pack_size", "包装数", _positive_qty, aliases=("包装数量",)),
        Column("lead_time_days", "交货天数", _days, aliases=("交期",)),
        Column("supplier", "供应商", _text, aliases=("默认供应商",)),
        Column("std_cost", "标准成本", _price, aliases=("成本",)),
        Column("barcode", "条码", _text, aliases=("条形码",)),
        Column("category", "类别", _text, aliases=("分类",)),
    ),
    "suppliers": (*_PARTNER, Column("lead_time_days", "交货天数", _days, aliases=("交期",))),
    "customers": _PARTNER,
    "stock": (
        Column("sku", "编码", _code, required=True, aliases=("物料编码", "商品编码", "货号")),
        Column("warehouse", "仓库", _warehouse),
        Column("qty", "数量", _qty(None), required=True, aliases=("库存", "盘点数量")),
    ),
}


def _key(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().lower().replace(" ", "_").replace("-", "_")


def template(kind: str) -> list[str]:
    """The English headers of a kind, in the order the exporter writes them."""
    return [col.name for col in COLUMNS[kind]]


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str  # as written in the file's header ("" for the whole row)
    value: str
    reason: str  # a key: not_a_number, unknown_supplier, duplicate_in_file...
    other_line: int | None = None  # for duplicates: where the first one is


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    key: str  # the SKU or code
    values: dict[str, Any]  # only the columns the file has


@dataclass(frozen=True, slots=True)
class Known:
    """What already exists, lower-cased codes (warehouses upper-case)."""

    suppliers: frozenset[str] = frozenset()
    items: frozenset[str] = frozenset()
    warehouses: frozenset[str] = frozenset({MAIN_WAREHOUSE})


@dataclass(slots=True)
class ImportReport:
    kind: str
    rows: int = 0
    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # in line order; at most max_errors of them
    max_errors: int | None = None  # None: keep every error
    errors_left_out: int = 0  # found past max_errors: counted, not kept
    lines_left_out: int = 0  # bad lines none of whose errors were kept
    _last_line: int = field(default=0, init=False, repr=False, compare=False)

    def add(self, error: RowError) -> None:
        """Keep the error, or only count it once max_errors are kept (errors come in line order)."""
        if self.max_errors is None or len(self.errors) < self.max_errors:
            self.errors.append(error)
        else:
            self.errors_left_out += 1
            if error.line != self._last_line:
                self.lines_left_out += 1
        self._last_line = error.line

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.errors_left_out

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def bad_lines(self) -> list[int]:
        """The bad lines among the errors kept."""
        return sorted({e.line for e in self.errors})

    @property
    def bad_rows(self) -> int:
        """How many lines are bad, kept or only counted."""
        return len(self.bad_lines) + self.lines_left_out


def _columns(kind: str, header: Sequence[str], report: ImportReport) -> list[Column | None]:
    lookup: dict[str, Column] = {}
    for spec in COLUMNS[kind]:
        for name in (spec.name, spec.zh, *spec.aliases):
            lookup[_key(name)] = spec
    found: list[Column | None] = []
    seen: set[str] = set()
    for text in header:
        col: Column | None = lookup.get(_key(text))
        if col is None:
            if text.strip():
                report.add(RowError(1, text, text, "unknown_column"))
        elif col.name in seen:
            report.add(RowError(1, text, text, "duplicate_column"))
            col = None
        else:
            seen.add(col.name)
        found.append(col)
    for spec in COLUMNS[kind]:
        if spec.required and spec.name not in seen:
            report.add(RowError(1, f"{spec.name}/{spec.zh}", "", "missing_column"))
    return found


def _check_whole(kind: str, values: dict[str, Any]) -> None:
    """Cross-field rules of the model itself (max below reorder point...)."""
    if kind == "items":
        fields = {k: v for k, v in values.items() if k != "supplier"}
        Item(**fields)
    elif kind == "suppliers":
        Supplier(**values)
    elif kind == "customers":
        Customer(**values)


def validate(kind: str, table: Sequence[Sequence[str]], known: Known, *, max_errors: int | None = None) -> ImportReport:
    """Check every row of a file (header first); the report lists every problem, or the first
    `max_errors` of them and how many more there are."""
    if kind not in COLUMNS:
        raise InvalidInput("kind", kind, "unknown_kind")
    report = ImportReport(kind, max_errors=max_errors)
    if not table:
        report.add(RowError(1, "", "", "no_header"))
        return report
    columns = _columns(kind, table[0], report)
    if not report.ok:
        report.rows = sum(1 for row in table[1:] if any(str(c or "").strip() for c in row))
        return report
    header = list(table[0])
    key_field = "sku" if kind in ("items", "stock") else "code"
    first_seen: dict[object, int] = {}
    for index, row in enumerate(table[1:], start=2):
        cells = [str(c) if c is not None else "" for c in row]
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        before = report.error_count
        values = _parse_cells(index, cells, header, columns, report)
        _check_references(kind, index, header, columns, values, known, report)
        if key_field in values:
            key: object = values[key_field].lower()
            if kind == "stock":
                key = (key, values.get("warehouse", MAIN_WAREHOUSE))
            if key in first_seen:
                where = _header_of(key_field, header, columns)
                report.add(RowError(index, where, values[key_field], "duplicate_in_file", first_seen[key]))
            else:
                first_seen[key] = index
        if report.error_count > before:
            continue
        try:
            _check_whole(kind, values)
        except InvalidInput as exc:
            report.add(RowError(index, _header_of(exc.field, header, columns), exc.value, exc.reason))
            continue
        report.records.append(Record(index, values[key_field], values))
    if report.rows == 0 and report.ok:
        report.add(RowError(2, "", "", "no_rows"))
    return report


def _parse_cells(
    line: int, cells: Sequence[str], header: Sequence[str], columns: Sequence[Column | None], report: ImportReport
) -> dict[str, Any]:
    """The values of the cells that parse; an error for each one that does not."""
    values: dict[str, Any] = {}
    for pos, col in enumerate(columns):
        if col is None:
            continue
        text = cells[pos] if pos < len(cells) else ""  # a short row: the missing cells are empty
        try:
            values[col.name] = col.parse(text, col.name)
        except InvalidInput as exc:
            report.add(RowError(line, header[pos], text, exc.reason))
    for pos in range(len(columns), len(cells)):
        if cells[pos].strip():
            report.add(RowError(line, f"#{pos + 1}", cells[pos], "extra_cell"))
    return values


def _header_of(name: str, header: Sequence[str], columns: Sequence[Column | None]) -> str:
    for text, col in zip(header, columns, strict=False):
        if col is not None and col.name == name:
            return text
    return name


def _check_references(
    kind: str,
    line: int,
    header: Sequence[str],
    columns: Sequence[Column | None],
    values: dict[str, Any],
    known: Known,
    report: ImportReport,
) -> None:
    def missing(name: str, value: str, reason: str) -> None:
        report.add(RowError(line, _header_of(name, header, columns), value, reason))

    if kind == "items" and values.get("supplier") and values["supplier"].lower() not in known.suppliers:
        missing("supplier", values["supplier"], "unknown_supplier")
    if kind == "stock":
        if "sku" in values and values["sku"].lower() not in known.items:
            missing("sku", values["sku"], "unknown_item")
        if "warehouse" in values and values["warehouse"] not in known.warehouses:
            missing("warehouse", values["warehouse"], "unknown_warehouse")


def guess_kind(header: Sequence[str]) -> list[str]:
    """The kinds whose columns the header fits: every named column known, every required one
    present. One kind is a safe guess; none or several (suppliers and customers share their
    columns) mean the person has to say which."""
    names = {_key(text) for text in header if text.strip()}
    fits = []
    for kind, columns in COLUMNS.items():
        spellings = {_key(name): col.name for col in columns for name in (col.name, col.zh, *col.aliases)}
        if names - spellings.keys():
            continue
        present = {spellings[name] for name in names}
        if all(col.name in present for col in columns if col.required):
            fits.append(kind)
    return fits
