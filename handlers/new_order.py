"""/po new and /so new: partner → lines → date → review (a real draft card) → submit/confirm.

The one-line forms (`/po new <supplier> <sku> <qty> [@<price>] … [by <date>]`, the same for
/so new with a customer) jump straight to the review. Each step checks what was typed before
moving on; nothing is created until the review, and nothing is submitted until its button.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from domain import commands as c
from domain.errors import InvalidInput, NotFound
from domain.master import PURCHASING, SELLING, Role, User
from domain.ports import Reads
from domain.values import parse_qty
from handlers import cards
from handlers.forms import parse_day, parse_order, parse_unit_price, tokens
from notifications.formats import qty
from notifications.render import Renderer

DONE = {"done", "ok", "完成", "好"}
SKIP = {"skip", "-", "跳过", "无"}
TEXT = F.text & ~F.text.startswith("/")  # a command typed mid-dialogue is a command


class NewPO(StatesGroup):
    partner = State()
    lines = State()
    date = State()


class NewSO(StatesGroup):
    partner = State()
    lines = State()
    date = State()


@dataclass(frozen=True, slots=True)
class Flavour:
    command: str  # po / so
    kind: str  # p / s (cards)
    partner: str  # supplier / customer
    roles: frozenset[Role]
    action: str
    states: type[StatesGroup]
    ask_partner: str


PO = Flavour("po", "p", "supplier", PURCHASING, "create_po", NewPO, "dialog.ask_supplier")
SO = Flavour("so", "s", "customer", SELLING, "create_so", NewSO, "dialog.ask_customer")


def _create(f: Flavour, data: dict[str, Any], actor: User, idem: str) -> c.Command:
    lines = tuple((sku, parse_qty(qty), parse_unit_price(price) if price else None) for sku, qty, price in data["lines"])
    due = parse_day(str(data["due"])) if data.get("due") else None
    if f.kind == "p":
        return c.CreatePurchaseOrder(
            actor_id=actor.id, supplier=data["partner"], lines=lines, expected_date=due, idempotency_key=idem
        )
    return c.CreateSalesOrder(actor_id=actor.id, customer=data["partner"], lines=lines, promised_date=due, idempotency_key=idem)


async def _check_line(words: list[str], reads: Reads) -> list[str]:
    """[sku, qty, price or ''] as kept in the dialogue, after checking each part."""
    form = parse_order("_ " + " ".join(words), "line")
    if len(form.lines) != 1:
        raise InvalidInput("line", " ".join(words), "one_line_at_a_time")
    sku, qty, price = form.lines[0]
    known = await reads.item_names([sku])
    if not known:
        raise NotFound("item", sku)
    return [next(iter(known)), str(qty), str(price) if price is not None else ""]


def router(f: Flavour) -> Router:
    r = Router(name=f"new_{f.command}")
    s = f.states

    async def review(message: Message, data: dict[str, Any], actor: User, lang: str, env: dict[str, Any]) -> None:
        order = await env["bus"].handle(_create(f, data, actor, env["idem"]))
        reads, render, copies = env["reads"], env["render"], env["copies"]
        viewer = cards.viewer_in(message, actor)
        card = await (cards.po_card if f.kind == "p" else cards.so_card)(order, viewer, lang, reads, render)
        await message.answer(render.text(lang, "dialog.review" if f.kind == "p" else "dialog.so_review"))
        await copies.send(message, card, f.kind, order.number, viewer, lang)

    @r.message(Command(f.command, magic=F.args.regexp(r"(?i)^new(\s|$)")))
    async def start(
        message: Message, command: CommandObject, state: FSMContext, actor: User, lang: str, render: Renderer, **env: Any
    ) -> None:
        actor.require(f.roles, f.action)
        rest = (command.args or "")[3:].strip()
        if not rest:
            await state.clear()
            await state.set_state(s.partner)  # type: ignore[attr-defined]
            await message.answer(render.text(lang, f.ask_partner))
            return
        form = parse_order(rest, f.partner)
        data = {
            "partner": form.partner,
            "lines": [[sku, str(q), str(p) if p is not None else ""] for sku, q, p in form.lines],
            "due": form.due.isoformat() if form.due else "",
        }
        await review(message, data, actor, lang, {"render": render, **env})

    @r.message(StateFilter(s.partner), TEXT)  # type: ignore[attr-defined]
    async def partner(message: Message, state: FSMContext, lang: str, reads: Reads, render: Renderer) -> None:
        words = tokens(message.text or "")
        code = words[0] if words else ""
        if not code or await reads.partner_name(f.partner, code) is None:
            raise NotFound(f.partner, code[:32])
        await state.update_data(partner=code.upper(), lines=[])
        await state.set_state(s.lines)  # type: ignore[attr-defined]
        await message.answer(render.text(lang, "dialog.ask_line"))

    @r.message(StateFilter(s.lines), TEXT)  # type: ignore[attr-defined]
    async def line(message: Message, state: FSMContext, lang: str, reads: Reads, render: Renderer) -> None:
        words = tokens(message.text or "")
        if words and words[0].lower() in DONE:
            if not (await state.get_data()).get("lines"):
                await message.answer(render.text(lang, "dialog.need_lines"))
                return
            await state.set_state(s.date)  # type: ignore[attr-defined]
            await message.answer(render.text(lang, "dialog.ask_date"))
            return
        entry = await _check_line(words, reads)
        data = await state.get_data()
        await state.update_data(lines=[*data.get("lines", []), entry])
        await message.answer(render.text(lang, "dialog.line_added", sku=entry[0], qty=qty(Decimal(entry[1]))))

    @r.message(StateFilter(s.date), TEXT)  # type: ignore[attr-defined]
    async def date(message: Message, state: FSMContext, actor: User, lang: str, render: Renderer, **env: Any) -> None:
        text = (message.text or "").strip()
        due = "" if text.lower() in SKIP else parse_day(tokens(text)[0], "date").isoformat()
        await review(message, {**await state.get_data(), "due": due}, actor, lang, {"render": render, **env})
        await state.clear()

    # A document captioned /import is a command too: the import takes it, the order waits.
    @r.message(StateFilter(s.partner, s.lines, s.date), ~F.text, ~F.caption.startswith("/import"))  # type: ignore[attr-defined]
    async def not_text(message: Message, lang: str, render: Renderer) -> None:
        await message.answer(render.text(lang, "dialog.use_text"))

    return r
