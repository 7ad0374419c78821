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


def left_out_line(lang: str, report: ImportReport) -> str:
    """What a capped report did not list ("" when it lists every error)."""
    if not report.errors_left_out:
        return ""
    shown, more = f"{len(report.errors):,}", f"{report.errors_left_out:,}"
    if report.lines_left_out:
        return t(lang, "import.left_out_rows", shown=shown, more=more, rows=f"{report.lines_left_out:,}")
    return t(lang, "import.left_out", shown=shown, more=more)


def summary_line(lang: str, report: ImportReport) -> str:
    return t(lang, "transfer.summary_bad", kind=report.kind, bad=f"{report.bad_rows:,}", rows=f"{report.rows:,}")


def report_lines(lang: str, report: ImportReport) -> list[str]:
    """The report as the user sees it, in the CLI and in chat: each error kept, what was left out
    (a capped report), the summary."""
    lines = [describe_row_error(lang, e) for e in report.errors]
    if more := left_out_line(lang, report):
        lines.append(more)
    lines.append(summary_line(lang, report))
    return lines


def result_line(lang: str, kind: str, rows: int, result: ImportResult) -> str:
    """What an applied file changed: created, updated, unchanged (for stock, the ledger reference)."""
    key = "transfer.summary_ok"
    if kind == "stock":
        key = "transfer.summary_stock" if result.updated else "transfer.summary_stock_same"
    counts = {"created": f"{result.created:,}", "updated": f"{result.updated:,}", "unchanged": f"{result.unchanged:,}"}
    return t(lang, key, kind=kind, rows=f"{rows:,}", ref=result.ref or "-", **counts)
