"""The chat front end: aiogram routers that parse, call one use case, and render a template."""

from __future__ import annotations

from aiogram import Router

# (command, catalog key under menu.) in the order the menu and /help show them.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "start"),
    ("help", "help"),
    ("stock", "stock"),
    ("po", "po"),
    ("approvals", "approvals"),
    ("receive", "receive"),
    ("so", "so"),
    ("ship", "ship"),
    ("adjust", "adjust"),
    ("history", "history"),
    ("bind", "bind"),
    ("unbind", "unbind"),
    ("bindings", "bindings"),
    ("report", "report"),
    ("import", "import"),
    ("export", "export"),
    ("item", "item"),
    ("supplier", "supplier"),
    ("customer", "customer"),
    ("users", "users"),
    ("settings", "settings"),
    ("cancel", "cancel"),
)


def routers() -> list[Router]:
    """Fresh routers each call (a router can belong to one dispatcher only)."""
    from handlers import (
        adjust,
        bindings,
        decide,
        edit_po,
        errors,
        fallback,
        goods,
        history,
        inline,
        item,
        jobs,
        membership,
        new_order,
        partners,
        po,
        report,
        settings,
        so,
        start,
        stock,
        transfer,
        users,
    )

    # Dialogue and reply handlers come before the plain commands that would otherwise claim the text;
    # the fallback (lines nobody waits for, unknown commands) comes after everything.
    return [
        errors.router(),
        membership.router(),
        start.router(),
        new_order.router(new_order.PO),
        new_order.router(new_order.SO),
        edit_po.router(),
        decide.router(),
        po.router(),
        so.router(),
        goods.router(),
        stock.router(),
        adjust.router(),
        history.router(),
        jobs.router(),
        report.router(),
        transfer.router(),
        users.router(),
        item.router(),
        partners.router(partners.SUPPLIER),
        partners.router(partners.CUSTOMER),
        settings.router(),
        bindings.router(),
        inline.router(),
    ] + [fallback.router()]
