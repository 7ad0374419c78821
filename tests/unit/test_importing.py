"""Import validation, without a database: every bad row, with its line and column."""

from __future__ import annotations

from decimal import Decimal

from domain.importing import Known, template, validate

KNOWN = Known(suppliers=frozenset({"acme"}), items=frozenset({"a-1"}), warehouses=frozenset({"MAIN", "WEST"}))


def problems(kind: str, table: list[list[str]]) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.reason) for e in validate(kind, table, KNOWN).errors]


def test_chinese_and_english_headers_mean_the_same_columns() -> None:
    zh = validate(
        "items", [["编码", "名称", "安全库存", "最高库存", "供应商"], ["X-1", "螺栓", "１，０００", "2000", "acme"]], KNOWN
    )
    en = validate(
        "items", [["SKU", "Name", "Reorder Point", "max_qty", "supplier"], ["X-1", "螺栓", "1,000", "2000", "ACME"]], KNOWN
    )

    assert zh.ok and en.ok
    assert zh.records[0].values["reorder_point"] == en.records[0].values["reorder_point"] == Decimal(1000)


def test_header_problems_are_reported_on_line_one() -> None:
    assert problems("items", [["sku", "nmae", "sku"], ["A", "b", "c"]]) == [
        (1, "nmae", "unknown_column"),
        (1, "sku", "duplicate_column"),
        (1, "name/名称", "missing_column"),
    ]


def test_rows_are_checked_cell_by_cell_and_as_a_whole() -> None:
    table = [
        ["sku", "name", "reorder_point", "max_qty", "lead_time_days"],
        ["A", "ok", "1", "", "3"],
        [],  # blank lines are skipped but still counted as lines
        ["B", "", "x", "", "1.5"],
        ["C", "max below", "10", "5", ""],
        ["D", "extra", "1", "", "", "surplus"],
        ["E", "short"],
    ]

    assert problems("items", table) == [
        (4, "name", "required"),
        (4, "reorder_point", "not_a_number"),
        (4, "lead_time_days", "not_an_integer"),
        (5, "max_qty", "below_reorder_point"),
        (6, "#6", "extra_cell"),
    ]


def test_stock_rows_need_known_items_and_warehouses_and_no_negative_counts() -> None:
    table = [["sku", "warehouse", "qty"], ["A-1", "", "5"], ["A-1", "west", "-1"], ["ZZ", "EAST", "1"], ["a-1", "MAIN", "2"]]

    assert problems("stock", table) == [
        (3, "qty", "must_not_be_negative"),
        (4, "sku", "unknown_item"),
        (4, "warehouse", "unknown_warehouse"),
        (5, "sku", "duplicate_in_file"),
    ]


def test_an_empty_file_or_a_header_alone_is_an_error_and_templates_list_the_columns() -> None:
    assert problems("customers", []) == [(1, "", "no_header")]
    assert problems("customers", [["code", "name"]]) == [(2, "", "no_rows")]
    assert template("customers") == ["code", "name", "phone", "email", "currency", "payment_terms"]
