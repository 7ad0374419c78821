"""Operator commands: users and backups from the shell, for the first admin and for ops."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot import sample
from bot.bootstrap import build_app
from bot.config import Settings
from bot.i18n import t
from bot.progress import Progress
from domain import commands as c
from storage import synthetic
from storage.master_repos import user_from_row
from storage.setup import ensure_admins
from storage.tables import items, users


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = sub.add_parser("user", help="register, list or deactivate users").add_subparsers(dest="action", required=True)
    add = user.add_parser("add", help="register a Telegram user id with roles")
    add.add_argument("id", type=int, help="Telegram user id")
    add.add_argument("--name", required=True)
    add.add_argument("--role", action="append", required=True, help="a role; repeatable")
    add.add_argument("--language", choices=("zh", "en"), default="zh")
    user.add_parser("list", help="every registered user")
    remove = user.add_parser("remove", help="deactivate a user (their history stays)")
    remove.add_argument("id", type=int)
    seed = sub.add_parser(
        "seed",
        help="fill an empty database with the sample company or a large synthetic one",
        description="Into an empty database only; refuses (exit 1) when it already holds items, partners, orders or moves.",
    )
    what = seed.add_mutually_exclusive_group(required=True)
    what.add_argument("--sample", action="store_true", help="the sandbox's sample trading company")
    what.add_argument(
        "--scale",
        type=int,
        metavar="N",
        help=f"a synthetic company of N items (at least {synthetic.MIN_ITEMS}) with a year of ledger moves, "
        "POs and SOs in every state, for benchmarks; `caixiao check` is clean afterwards",
    )
    seed.add_argument("--moves", type=int, metavar="M", help="with --scale: ledger moves (default 10 per item)")
    backup = sub.add_parser("backup", help="a consistent copy of the database, safe while the bot runs")
    backup.add_argument("file", type=Path)


async def user_command(settings: Settings, lang: str, args: argparse.Namespace) -> int:
    app = await build_app(settings)
    try:
        if args.action == "add":
            roles = tuple(r for part in args.role for r in part.split(","))
            user = await app.bus.handle(
                c.RegisterUser(actor_id=None, source="cli", user_id=args.id, name=args.name, roles=roles, language=args.language)
            )
            print(t(lang, "cli.user_added", id=user.id, name=user.name, roles=", ".join(sorted(user.roles))))
        elif args.action == "remove":
            async with app.bus.uow_factory() as uow:
                current = await uow.users.get(args.id)
            await app.bus.handle(
                c.SetUserRoles(actor_id=None, source="cli", user_id=args.id, roles=tuple(current.roles), active=False)
            )
            print(t(lang, "cli.user_removed", id=args.id, name=current.name))
        else:
            async with app.db.reading() as conn:
                rows = (await conn.execute(select(users).order_by(users.c.id))).all()
            for row in rows:
                u = user_from_row(row)
                state = t(lang, "cli.user_active" if u.active else "cli.user_inactive")
                print(f"{u.id:>12}  {u.name:<20} {u.language}  {','.join(sorted(u.roles)):<28} {state}")
            print(t(lang, "cli.user_count", count=len(rows)))
        return 0
    finally:
        await app.close()


def _sqlite_backup(source: Path, target: Path) -> tuple[str, dict[str, object]]:
    """Runs in a worker thread (file I/O); returns the message to show."""
    if not source.exists():
        return "cli.backup_missing", {"path": source}
    if target.exists():
        return "cli.backup_exists", {"path": target}
    # One step (pages=-1): the copy is a single read snapshot, consistent under concurrent writers.
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    with sqlite3.connect(target) as dst:
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
    return "cli.backup_done", {"path": target, "size": f"{target.stat().st_size / 1024:.0f} KiB"}


async def backup(settings: Settings, lang: str, args: argparse.Namespace) -> int:
    url = make_url(settings.database.url)
    if url.get_backend_name() != "sqlite":
        host = f"-h {url.host} " if url.host else ""
        port = f"-p {url.port} " if url.port else ""
        user = f"-U {url.username} " if url.username else ""
        print(t(lang, "cli.backup_pg", command=f"pg_dump {host}{port}{user}-Fc -f {args.file} {url.database}"))
        return 0
    progress = Progress(lang, "backup")
    progress.note("progress.backup_copy", path=url.database)
    key, values = await asyncio.to_thread(_sqlite_backup, Path(url.database or ""), args.file)
    print(t(lang, key, **values))
    if key != "cli.backup_done":
        return 1
    progress.summary_bytes(args.file.stat().st_size)
    return 0


async def seed(settings: Settings, lang: str, args: argparse.Namespace) -> int:
    if args.scale is not None:
        return await seed_scale(settings, lang, args.scale, args.moves)
    app = await build_app(settings)
    try:
        async with app.db.reading() as conn:
            if await conn.scalar(select(func.count()).select_from(items)):
                print(t(lang, "cli.seed_not_empty", url=settings.database.url))
                return 1
        await ensure_admins(app.db, [(sample.ADMIN, sample.ADMIN_NAME)])
        counts = await sample.seed_sample(app.bus.uow_factory, app.bus.env)
        print(t(lang, "cli.seed_done", url=settings.database.url, **counts))
        return 0
    finally:
        await app.close()


async def seed_scale(settings: Settings, lang: str, n_items: int, moves: int | None = None) -> int:
    """`caixiao seed --scale N`: the benchmark's synthetic company, written in one transaction."""
    if n_items < synthetic.MIN_ITEMS or (moves is not None and moves < 0):
        print(t(lang, "seed.scale_too_small", minimum=synthetic.MIN_ITEMS), file=sys.stderr)
        return 2
    spec = synthetic.Spec.scaled(n_items, moves)
    url = settings.database.url
    app = await build_app(settings)
    try:
        async with app.db.reading() as conn:
            taken = await synthetic.occupied(conn)
        if taken:
            print(t(lang, "seed.scale_not_empty", url=url, what=", ".join(taken)), file=sys.stderr)
            return 1
        progress = Progress(lang, "seed")
        sizes = {"items": spec.items, "moves": spec.moves, "pos": spec.pos, "sos": spec.sos}
        progress.note("seed.scale_building", url=url, **{k: f"{v:,}" for k, v in sizes.items()})

        def report(stage: str, done: int, total: int) -> None:
            progress(done, total, t(lang, f"seed.stage_{stage}"))

        data = await synthetic.build(app.db, spec, report, now=app.bus.env.now(), tz=app.bus.env.timezone)
    finally:
        await app.close()
    n = data.counts
    print(
        t(
            lang,
            "seed.scale_done",
            url=url,
            **{k: f"{n[k]:,}" for k in ("items", "suppliers", "customers", "warehouses")},
            moves=f"{n['stock_moves']:,}",
            pos=f"{n['purchase_orders']:,}",
            sos=f"{n['sales_orders']:,}",
            balances=f"{n['stock_balances']:,}",
        )
    )
    orders = n["purchase_orders"] + n["sales_orders"]
    master = sum(n[k] for k in ("items", "suppliers", "customers", "stock_moves", "stock_balances"))
    progress.summary(master + orders * (1 + spec.lines))  # with the order lines
    return 0
