"""The `caixiao` command: run, demo, migrate, check. Clear errors, no tracebacks; exit 0/1/2."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.bootstrap import build_app
from bot.config import ConfigError, Settings, load_settings
from bot.i18n import describe_error, t
from bot.jobs_cli import add_parsers as add_jobs_parsers
from bot.jobs_cli import jobs_command
from bot.logs import setup_logging
from bot.operator_cli import add_parsers, backup, seed, user_command
from bot.transfer_cli import add_parsers as add_transfer_parsers
from bot.transfer_cli import export_command, import_command
from domain.errors import DomainError
from storage.checks import count_balances, ledger_drift
from storage.database import Database
from storage.migrate import migrate


def _version() -> str:
    try:
        return version("caixiao")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _lang(settings: Settings | None = None) -> str:
    env = os.environ.get("CAIXIAO_LANG") or os.environ.get("LANG", "")
    if env[:2] in ("zh", "en"):
        return env[:2]
    return settings.company.language if settings else "en"


async def _demo(settings: Settings, lang: str, args: argparse.Namespace | None = None) -> int:
    from bot.sandbox import run_sandbox, tour  # aiogram and the emulator are loaded only here

    lang = getattr(args, "lang", None) or lang
    script = tour(lang) if getattr(args, "tour", False) else getattr(args, "script", None)
    return await run_sandbox(settings, lang, script=script, keep=getattr(args, "keep", None))


async def _migrate(settings: Settings, lang: str, args: argparse.Namespace | None = None) -> int:
    db = Database(settings.database.url)
    try:
        await migrate(db)
    finally:
        await db.dispose()
    print(t(lang, "cli.migrated", url=settings.database.url))
    return 0


async def _check(settings: Settings, lang: str, args: argparse.Namespace | None = None) -> int:
    app = await build_app(settings)
    try:
        async with app.db.reading() as conn:
            drift = await ledger_drift(conn)
            balances = await count_balances(conn)
    finally:
        await app.close()
    for d in drift:
        print(t(lang, "cli.check_drift", sku=d.sku, warehouse=d.warehouse, what=d.what, balance=d.balance, expected=d.expected))
    if drift:
        print(t(lang, "cli.check_summary_bad", count=len(drift)))
        return 1
    print(t(lang, "cli.check_summary_ok", balances=balances))
    return 0


async def _run(settings: Settings, lang: str, args: argparse.Namespace | None = None) -> int:
    if not settings.has_token:
        print(t(lang, "cli.no_token"))
        return await _demo(settings, lang, args)
    from bot.serve import serve  # aiogram is loaded only when the bot really runs

    setup_logging()
    print(t(lang, "cli.bot_starting", mode=settings.telegram.mode, api=settings.telegram.api_base))
    return await serve(settings)


COMMANDS = {
    "run": _run,
    "demo": _demo,
    "migrate": _migrate,
    "check": _check,
    "user": user_command,
    "backup": backup,
    "seed": seed,
    "import": import_command,
    "export": export_command,
    "jobs": jobs_command,
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="caixiao", description="Caixiao 采销: purchasing, stock and sales from chat.")
    p.add_argument("--version", action="version", version=f"caixiao {_version()}")
    p.add_argument("--config", type=Path, help="config file (default: ./config.toml or $CAIXIAO_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (the sandbox when no token is configured)")
    demo = sub.add_parser("demo", help="the sandbox: chat with the bot in the terminal as any sample user, on a local emulator")
    demo.add_argument("--script", type=Path, metavar="FILE", help="play FILE's lines, not the terminal's; print the transcript")
    demo.add_argument("--tour", action="store_true", help="play the shipped tour (a PO from creation to a shipment)")
    demo.add_argument("--lang", choices=("zh", "en"), help="the sandbox's (and tour's) language; default $LANG or the company's")
    demo.add_argument("--keep", type=Path, metavar="DIR", help="keep the database in DIR (and continue with it next time)")
    sub.add_parser("migrate", help="bring the database to the latest schema")
    sub.add_parser("check", help="verify every balance against the stock ledger; exit 1 on drift")
    add_parsers(sub)
    add_transfer_parsers(sub)
    add_jobs_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(t(_lang(), "cli.config_error", detail=exc), file=sys.stderr)
        return 2
    lang = _lang(settings)
    try:
        return asyncio.run(COMMANDS[args.command](settings, lang, args))
    except DomainError as exc:
        print(describe_error(exc, lang), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(t(lang, "cli.os_error", detail=exc), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
