"""Which kind of file a header belongs to, when the person did not say."""

from __future__ import annotations

import pytest

from domain.importing import guess_kind


@pytest.mark.parametrize(
    ("header", "kinds"),
    [
        (["sku", "name", "reorder_point"], ["items"]),
        (["编码", "仓库", "数量"], ["stock"]),
        (["SKU", "Qty"], ["stock"]),
        (["code", "name", "lead_time_days"], ["suppliers"]),
        (["code", "name"], ["suppliers", "customers"]),
        (["编码", "名称"], ["items", "suppliers", "customers"]),
        (["sku", "colour"], []),
        (["name"], []),
        ([], []),
    ],
)
def test_a_header_fits_the_kinds_whose_columns_it_has(header: list[str], kinds: list[str]) -> None:
    assert guess_kind(header) == kinds
