"""What an import says, worded once for the command line and the chat: every bad row with its
line, column and reason, and the closing summary (texts in bot/locales, section `transfer`)."""

from __future__ import annotations

from bot.i18n import catalog, t
from domain.importing import ImportReport, RowError
from domain.services.importing import ImportResult


def _reason(lang: str, error: RowError) -> str:
    for key in (f"transfer.reason.{error.reason}", f"reason.{error.reason}"):
        if key in catalog("en"):
            return t(lang, key, other=error.other_line)
    return error.reason


def describe_row_error(lang: str, error: RowError) -> str:
    reason = _reason(lang, error)
    if not error.column:
        return t(lang, "transfer.row_error_plain", line=error.line, reason=reason)
    return t(lang, "transfer.row_error", line=error.line, column=error.column, value=error.value, reason=reason)


def report_lines(lang: str, report: ImportReport) -> list[str]:
    """The report as the user sees it, in the CLI and in chat."""
    lines = [describe_row_error(lang, e) for e in report.errors]
    lines.append(t(lang, "transfer.summary_bad", kind=report.kind, bad=f"{len(report.bad_lines):,}", rows=f"{report.rows:,}"))
    return lines


def result_line(lang: str, kind: str, rows: int, result: ImportResult) -> str:
    """What an applied file changed: created, updated, unchanged (for stock, the ledger reference)."""
    key = "transfer.summary_ok"
    if kind == "stock":
        key = "transfer.summary_stock" if result.updated else "transfer.summary_stock_same"
    counts = {"created": f"{result.created:,}", "updated": f"{result.updated:,}", "unchanged": f"{result.unchanged:,}"}
    return t(lang, key, kind=kind, rows=f"{rows:,}", ref=result.ref or "-", **counts)
