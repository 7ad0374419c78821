"""`caixiao import` and `caixiao export`: spreadsheets in and out, all or nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.bootstrap import build_app
from bot.config import Settings
from bot.i18n import t
from bot.progress import Progress
from bot.tabular import TableRefused, read_table, write_table
from bot.transfer_text import report_lines, result_line
from domain.importing import KINDS, template, validate
from domain.services.importing import ApplyImport
from storage.transfer import REPORTS, export_report, export_rows, known_codes


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser(
        "import",
        help="load items, suppliers, customers or opening stock from CSV/XLSX (all or nothing)",
        description="Validate the whole file first; apply nothing unless every row is valid.",
    )
    imp.add_argument("kind", nargs="?", choices=KINDS)
    imp.add_argument("file", nargs="?", type=Path, help="a .csv (UTF-8, UTF-8 with BOM, GBK) or .xlsx file")
    imp.add_argument("--template", choices=KINDS, metavar="KIND", help="print the CSV header line for KIND and exit")
    imp.add_argument("--dry-run", action="store_true", help="validate and report only; change nothing")
    imp.add_argument("--encoding", help="the CSV's encoding (default: detect UTF-8 or GBK/GB18030)")
    imp.add_argument("--sheet", help="the XLSX sheet to read (default: the first)")
    exp = sub.add_parser("export", help="write master data, stock, orders or ledger moves to CSV (UTF-8 with BOM) or XLSX")
    exp.add_argument("kind", choices=(*KINDS, *REPORTS))
    exp.add_argument("file", type=Path, help="a .csv or .xlsx file, by extension")
    exp.add_argument("--from", dest="start", type=date.fromisoformat, metavar="YYYY-MM-DD", help="pos, sos, moves: from this day")
    exp.add_argument("--to", dest="end", type=date.fromisoformat, metavar="YYYY-MM-DD", help="pos, sos, moves: up to this day")


async def import_command(settings: Settings, lang: str, args: argparse.Namespace) -> int:
    if args.template:
        print(",".join(template(args.template)))
        return 0
    if args.kind is None or args.file is None:
        print(t(lang, "transfer.usage"), file=sys.stderr)
        return 2
    progress = Progress(lang, f"import {args.kind}")
    progress.note("transfer.progress_read", file=args.file)
    try:
        table = await asyncio.to_thread(read_table, args.file, encoding=args.encoding, sheet=args.sheet)
    except TableRefused as exc:
        print(t(lang, f"transfer.refused.{exc.reason}", file=args.file, **exc.details), file=sys.stderr)
        return 1
    app = await build_app(settings)
    try:
        async with app.db.reading() as conn:
            known = await known_codes(conn)
        progress.note("progress.validating", rows=f"{max(len(table) - 1, 0):,}")
        report = validate(args.kind, table, known)
        if not report.ok:
            for line in report_lines(lang, report):
                print(line)
            return 1
        rows = f"{report.rows:,}"
        if args.dry_run:
            print(t(lang, "transfer.summary_dry_run", kind=args.kind, rows=rows))
            progress.summary(report.rows)
            return 0
        progress.note("transfer.progress_apply", rows=rows)
        result = await app.bus.handle(ApplyImport(actor_id=None, source="cli", report=report, progress=progress))
    finally:
        await app.close()
    print(result_line(lang, args.kind, report.rows, result))
    progress.summary(report.rows)
    return 0


def _counted(rows: Sequence[Sequence[str]], progress: Progress) -> Iterator[Sequence[str]]:
    for n, row in enumerate(rows, start=1):
        yield row
        if n % 1000 == 0:
            progress(n, len(rows))


async def export_command(settings: Settings, lang: str, args: argparse.Namespace) -> int:
    progress = Progress(lang, f"export {args.kind}")
    progress.note("progress.fetching", kind=args.kind)
    app = await build_app(settings)
    try:
        async with app.db.reading() as conn:
            if args.kind in REPORTS:
                tz = ZoneInfo(settings.company.timezone)
                header, rows = await export_report(conn, args.kind, tz, args.start, args.end)
            else:
                header, rows = await export_rows(conn, args.kind)
    finally:
        await app.close()
    progress.note("progress.writing", rows=f"{len(rows):,}", file=args.file)
    try:
        await asyncio.to_thread(write_table, args.file, header, _counted(rows, progress))
    except TableRefused as exc:
        print(t(lang, f"transfer.refused.{exc.reason}", file=args.file, **exc.details), file=sys.stderr)
        return 2
    print(t(lang, "transfer.exported", kind=args.kind, rows=f"{len(rows):,}", file=args.file))
    progress.summary(len(rows))
    return 0
