"""/supplier and /customer: new partners from the phone, and switching them off (admins and managers).

    /supplier new                guided: code → name → currency → lead time → phone → e-mail
    /supplier new <CODE> <name…> [currency=CNY] [lead=7] [phone=…] [email=…] [chat=@…] [terms=…]
    /supplier off <CODE>  ·  /supplier on <CODE>
    /customer …                  the same, without the lead time

Partners are deactivated, never deleted: their orders keep them, new orders refuse them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from domain import commands as c
from domain.errors import DuplicateCode, InvalidInput, NotFound
from domain.master import MASTER_DATA, Customer, Supplier, User, check_code, check_currency, check_name
from domain.ports import Reads
from domain.services.bus import Bus
from handlers import wizard
from handlers.admin_forms import parse_new_partner, whole_number
from handlers.forms import first_word, tokens
from notifications.render import Renderer


class NewSupplier(StatesGroup):
    step = State()
    review = State()


class NewCustomer(StatesGroup):
    step = State()
    review = State()


def _code(kind: str) -> wizard.Check:
    async def check(text: str, reads: Reads, _: dict[str, str]) -> str:
        code = check_code(first_word(text)).upper()
        if await reads.partner_name(kind, code) is not None:
            raise DuplicateCode(kind, code)
        return code

    return check


async def _name(text: str, _: Reads, __: dict[str, str]) -> str:
    return check_name(text)


async def _currency(text: str, _: Reads, __: dict[str, str]) -> str:
    return check_currency(text)


async def _lead(text: str, _: Reads, __: dict[str, str]) -> str:
    return str(whole_number(text, "lead_time_days"))


def _contact(field: str) -> wizard.Check:
    async def check(text: str, _: Reads, __: dict[str, str]) -> str:
        value = check_name(text, field=field)
        if field == "email" and "@" not in value:  # the partner checks it too; asking again is kinder
            raise InvalidInput(field, value, "bad_email")
        return value

    return check


def _build(kind: str) -> Callable[[dict[str, str], int, str], c.Command]:
    def build(values: dict[str, str], actor_id: int, idem: str) -> c.Command:
        optional: dict[str, Any] = {k: values[k] for k in ("currency", "phone", "email") if values.get(k)}
        lead = int(values.get("lead_time_days") or 0)
        return c.CreatePartner(
            actor_id=actor_id,
            kind=kind,
            code=values["code"],
            name=values["name"],
            lead_time_days=lead,
            idempotency_key=idem,
            **optional,
        )

    return build


def _line(kind: str) -> Callable[[str, int, str], c.Command]:
    def line(rest: str, actor_id: int, idem: str) -> c.Command:
        return c.CreatePartner(actor_id=actor_id, kind=kind, idempotency_key=idem, **parse_new_partner(rest, kind))

    return line


async def created(target: Message, partner: Supplier | Customer, actor: User, lang: str, reads: Reads, render: Renderer) -> None:
    kind = "supplier" if isinstance(partner, Supplier) else "customer"
    await target.answer(render.text(lang, "admin.partner.created", code=partner.code))
    await target.answer(render.render("admin/partner.html", lang, partner=partner, kind=kind))


def _flow(kind: str, states: type[StatesGroup]) -> wizard.Flow:
    steps = [wizard.Step("code", _code(kind)), wizard.Step("name", _name), wizard.Step("currency", _currency, skip="")]
    if kind == "supplier":
        steps.append(wizard.Step("lead_time_days", _lead, skip="0"))
    steps += [wizard.Step("phone", _contact("phone"), skip=""), wizard.Step("email", _contact("email"), skip="")]
    return wizard.Flow(kind, MASTER_DATA, f"create_{kind}", states, tuple(steps), _build(kind), created, _line(kind))


SUPPLIER = _flow("supplier", NewSupplier)
CUSTOMER = _flow("customer", NewCustomer)


def router(f: wizard.Flow) -> Router:
    r = Router(name=f.what)
    wizard.attach(r, f)

    @r.message(Command(f.what))
    async def switch(
        message: Message, command: CommandObject, actor: User, lang: str, bus: Bus, reads: Reads, render: Renderer, idem: str
    ) -> None:
        words = tokens(command.args or "")
        if len(words) == 1 and words[0].lower() not in ("off", "on"):  # the partner's card
            partner = await reads.partner(f.what, words[0])
            if partner is None:
                raise NotFound(f.what, words[0])
            await message.answer(render.render("admin/partner.html", lang, partner=partner, kind=f.what))
            return
        if len(words) != 2 or words[0].lower() not in ("off", "on"):
            await message.answer(render.text(lang, f"admin.{f.what}.usage"))
            return
        active = words[0].lower() == "on"
        command_ = c.SetPartnerActive(actor_id=actor.id, kind=f.what, code=words[1], active=active, idempotency_key=idem)
        partner = await bus.handle(command_)
        await message.answer(
            render.text(lang, f"admin.partner.{'on' if active else 'off'}", code=partner.code, name=partner.name)
        )

    return r
