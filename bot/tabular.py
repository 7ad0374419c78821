"""Spreadsheet files in and out: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) and XLSX.

Untrusted input: a file that is too large, of the wrong type or malformed is refused with a
reason the user can act on (TableRefused.reason is a locale key under `import.refused`).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

MAX_BYTES = 20 * 1024 * 1024
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


class TableRefused(Exception):
    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason, self.details = reason, details


def check_size(size: int) -> None:
    """Refuses a file over MAX_BYTES (also Telegram's limit for what a bot may download)."""
    if size > MAX_BYTES:
        raise TableRefused("too_large", size=f"{size / 1024 / 1024:.1f}", limit=MAX_BYTES // 1024 // 1024)


def read_table(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> list[list[str]]:
    """The file's rows as text, header first."""
    check_size(path.stat().st_size)
    return read_table_data(path.read_bytes(), path.name, encoding=encoding, sheet=sheet)


def read_table_data(data: bytes, file_name: str, *, encoding: str | None = None, sheet: str | None = None) -> list[list[str]]:
    """A file's rows from its bytes (a chat upload has no path); the type is judged by the name
    and the content, as for a file on disk."""
    check_size(len(data))
    suffix = Path(file_name).suffix.lower()
    head = data[:8]
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(io.BytesIO(data), sheet)
    if suffix == ".xls" or head.startswith(_OLE_MAGIC):
        raise TableRefused("old_xls")
    if suffix not in CSV_SUFFIXES:
        raise TableRefused("wrong_type", suffix=suffix or "-")
    if head.startswith(_ZIP_MAGIC):
        raise TableRefused("binary")
    return _read_csv(data, encoding)


def _decode(data: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError as exc:
            raise TableRefused("unknown_encoding", encoding=encoding) from exc
        except UnicodeDecodeError as exc:
            raise TableRefused("undecodable", encoding=encoding) from exc
    for candidate in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise TableRefused("undecodable", encoding="UTF-8/GB18030")


def _read_csv(data: bytes, encoding: str | None) -> list[list[str]]:
    if b"\x00" in data:
        raise TableRefused("binary")
    text = _decode(data, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in text):
        raise TableRefused("binary")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ";" if first.count(";") > first.count(",") else ","
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise TableRefused("malformed", detail=str(exc)) from exc


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _read_xlsx(source: Path | io.BytesIO, sheet: str | None) -> list[list[str]]:
    import openpyxl  # heavy: only when a spreadsheet arrives

    try:
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # a broken or disguised file can fail anywhere in the zip/XML stack
        raise TableRefused("broken_xlsx") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise TableRefused("no_sheet", sheet=sheet, sheets=", ".join(book.sheetnames))
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        try:
            return [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
        except TableRefused:
            raise
        except Exception as exc:
            raise TableRefused("broken_xlsx") from exc
    finally:
        book.close()


def write_table(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """CSV as UTF-8 with BOM (Excel then shows Chinese right) or XLSX, by the file's extension."""
    suffix = path.suffix.lower()
    if suffix not in XLSX_SUFFIXES + CSV_SUFFIXES:
        raise TableRefused("wrong_type", suffix=suffix or "-")
    with path.open("wb") as f:
        write_table_to(f, suffix, header, rows)


def write_table_to(out: BinaryIO, suffix: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """What write_table writes, into any binary stream (a chat download is sent from memory)."""
    if suffix in XLSX_SUFFIXES:
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        ws = book.create_sheet()
        ws.append(list(header))
        for row in rows:
            ws.append(list(row))
        book.save(out)
        return
    if suffix not in CSV_SUFFIXES:
        raise TableRefused("wrong_type", suffix=suffix or "-")
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    text.detach()  # the caller owns the stream: closing the wrapper must not close it
