"""/import and /export: spreadsheets through the chat, judged and applied exactly as by
`caixiao import` (all or nothing, every bad row reported) and written by `caixiao export`.

A file is applied only after the admin presses Confirm under its report. Until then the dialogue
state holds the file's Telegram id (not its bytes: a file may be 20 MB, the state is a JSON row),
its name, kind and hash, and a token made for that report: the buttons carry it, so only the latest
report's Confirm applies, and as the kind that report names. Confirm fetches the file again from
Telegram (see bot.transfers); should that, the database or anything else fail, the import stays
pending with its buttons and Confirm can be pressed again.

A bad file's report lists the first ERRORS_KEPT problems and counts the rest; the list is built in
a worker thread and attached as a text file when it does not fit the message.

A bare document is taken as an import only when no other dialogue is in progress (a caption with
/import always is). Exports hold the whole company's data: asked for in a group, the file goes to
the admin's private chat, and the group only hears that it went there.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Protocol

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender

from bot.callbacks import ImportStep
from bot.i18n import catalog, t
from bot.transfer_text import describe_row_error, left_out_line, result_line, summary_line
from domain.importing import KINDS, ImportReport
from domain.master import ADMINISTRATION, User
from domain.services.importing import ImportResult
from handlers.cards import unbutton
from notifications.formats import clip
from notifications.render import Renderer

FORMATS = ("csv", "xlsx")
REPORT_BUDGET = 3_500  # visible characters of report lines in one message; the rest goes in a file
LINE_LIMIT = 300  # one row's complaint in the message (a pasted page in a cell stays in the file)
FILE_LINE_LIMIT = 4_000  # ...and in the file: a thousand of them stay a few MB at most
ERRORS_KEPT = 1_000  # problems listed for one file; the rest are only counted
UPLOAD_LIMIT = 50_000_000  # what Telegram lets a bot send (50 MB)
# What people call the kinds, in both languages.
KIND_WORDS = {
    **{k: k for k in KINDS},
    **{"item": "items", "supplier": "suppliers", "customer": "customers"},
    **{"物料": "items", "商品": "items", "供应商": "suppliers", "客户": "customers", "库存": "stock"},
}


@dataclass(frozen=True, slots=True)
class Upload:
    """A document someone sent, as much of it as is needed to fetch it again."""

    file_id: str
    file_name: str
    size: int | None = None
    kind: str | None = None  # None until named or guessed from the header
    digest: str = ""  # sha256 of the bytes checked: Confirm applies these bytes or nothing


@dataclass(frozen=True, slots=True)
class Checked:
    """One of: refused (the file cannot be read), candidates (which kind is it?), a report (valid
    or not), and after Confirm also the result."""

    upload: Upload
    report: ImportReport | None = None
    refused: str = ""  # a bot.tabular.TableRefused reason, or "changed"
    details: dict[str, object] = field(default_factory=dict)
    candidates: tuple[str, ...] = ()
    result: ImportResult | None = None


@dataclass(frozen=True, slots=True)
class Exported:
    name: str
    data: bytes  # empty when too_large
    rows: int
    too_large: bool = False  # over UPLOAD_LIMIT: nothing to send


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """A bad file's report as sent: the lines that fit the message, and the file with all of them."""

    shown: list[str]
    more: int  # lines not in the message
    left_out: str  # what a capped report did not list, or ""
    summary: str
    attachment: tuple[str, bytes] | None = None
    too_large: bool = False  # the file would exceed UPLOAD_LIMIT, so it is not attached


class Transfers(Protocol):
    """Files in and out (bot.transfers.ChatTransfers). Nothing is written unless `apply` is called
    with a checked upload whose every row is valid at that moment; then all of it is."""

    export_kinds: tuple[str, ...]
    dated_kinds: tuple[str, ...]  # the export kinds that take days

    async def check(self, upload: Upload) -> Checked:
        """Reports at most ERRORS_KEPT problems, and counts the rest."""
        ...

    async def apply(self, upload: Upload, actor_id: int, idempotency_key: str | None) -> Checked: ...

    async def export(self, kind: str, fmt: str, start: date | None = None, end: date | None = None) -> Exported:
        """pos, sos and moves: those created from `start` to `end` (company days, both included).
        Too large (over UPLOAD_LIMIT) for Telegram: no data, `too_large`."""
        ...


class ImportFlow(StatesGroup):
    waiting = State()  # /import [kind] was sent; the document comes next
    confirming = State()  # a valid file's report is shown; Confirm applies it


def _kind(words: str | None) -> str | None:
    first = (words or "").split(maxsplit=1)
    return KIND_WORDS.get(first[0].lower()) if first else None


def _export_args(args: str | None) -> tuple[str, str, date | None, date | None] | None:
    """`<kind> [csv|xlsx] [first day [last day]]`; None when the words do not read like that."""
    kind, *rest = (args or "").lower().split() or [""]
    fmt = rest.pop(0) if rest and rest[0] in FORMATS else "csv"
    try:
        days = [date.fromisoformat(word) for word in rest]
    except ValueError:
        return None
    if len(days) > 2:
        return None
    start, end = (days + [None, None])[:2]
    return kind, fmt, start, end


def _refusal(lang: str, checked: Checked) -> str:
    # The command line's wording, unless the chat needs its own (no --encoding to give here).
    key = f"import.refused.{checked.refused}"
    key = key if key in catalog("en") else f"transfer.refused.{checked.refused}"
    return t(lang, key, file=clip(checked.upload.file_name, 60), **checked.details)


def _fit(lines: list[str]) -> tuple[list[str], int]:
    shown: list[str] = []
    used = 0
    for line in lines:
        line = clip(line, LINE_LIMIT)
        if used + len(line) + 1 > REPORT_BUDGET:
            break
        shown.append(line)
        used += len(line) + 1
    return shown, len(lines) - len(shown)


def _error_report(lang: str, report: ImportReport, file_name: str, limit: int) -> ErrorReport:
    """Run in a worker thread: formatting and encoding a thousand lines is no work for the event loop."""
    rows = [describe_row_error(lang, e) for e in report.errors]
    left_out, summary = left_out_line(lang, report), summary_line(lang, report)
    shown, more = _fit(rows)
    if not more:
        return ErrorReport(shown, 0, left_out, summary)
    lines = [clip(line, FILE_LINE_LIMIT) for line in rows] + ([left_out] if left_out else []) + [summary]
    data = "\n".join(lines).encode("utf-8-sig")
    if len(data) > limit:
        return ErrorReport(shown, more, left_out, summary, too_large=True)
    return ErrorReport(shown, more, left_out, summary, (f"{file_name.rsplit('.', 1)[0]}-errors.txt", data))


def _pending(data: dict[str, Any]) -> tuple[Upload, str] | None:
    """The import a report waits on, and its report's token (None: nothing waits)."""
    data = dict(data)
    token = data.pop("token", None)
    try:
        return (Upload(**data), str(token)) if token else None
    except TypeError:  # a state of another shape
        return None


async def _show(message: Message, checked: Checked, lang: str, render: Renderer, state: FSMContext) -> None:
    """The report under the file: a refusal, a question, the bad rows, or the Confirm button."""
    up, report = checked.upload, checked.report
    if (report is None or not report.ok) and await state.get_state() in ImportFlow.__state_names__:
        await state.clear()  # a bad file drops the pending one, but never another dialogue
    if checked.refused:
        await message.answer(render.render("transfer/refused.html", lang, reason=_refusal(lang, checked)))
    elif report is None:
        await message.answer(
            render.render("transfer/which_kind.html", lang, unknown="", file=up.file_name, kinds=checked.candidates)
        )
    elif not report.ok:
        errors = await asyncio.to_thread(_error_report, lang, report, up.file_name, UPLOAD_LIMIT)
        page = render.render("transfer/report.html", lang, file=up.file_name, report=errors)
        await message.answer(page)
        if errors.attachment is not None:
            await message.answer_document(BufferedInputFile(errors.attachment[1], errors.attachment[0]))
    else:
        token = secrets.token_hex(8)  # this report's: a button under an older one applies nothing
        await state.set_state(ImportFlow.confirming)
        await state.set_data({**asdict(up), "token": token})
        buttons = [
            InlineKeyboardButton(text=t(lang, "import.confirm"), callback_data=ImportStep(act="go", token=token).pack()),
            InlineKeyboardButton(text=t(lang, "import.drop"), callback_data=ImportStep(act="no", token=token).pack()),
        ]
        text = render.render("transfer/valid.html", lang, file=up.file_name, kind=report.kind, rows=report.rows)
        await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons]))


async def _deliver(
    message: Message, bot: Bot, actor: User, document: BufferedInputFile, caption: str, lang: str, render: Renderer
) -> None:
    """An export holds the whole company's data: sent where it was asked for only in a private
    chat; asked for in a group, to the admin's private chat (their user id), and the group hears
    only that it went there."""
    if message.chat.type == "private":
        await message.answer_document(document, caption=caption)
        return
    try:
        await bot.send_document(actor.id, document, caption=caption)
    except (TelegramForbiddenError, TelegramBadRequest):  # they never opened a chat with the bot
        await message.reply(render.text(lang, "export.open_private"))
        return
    await message.reply(render.text(lang, "export.sent_privately"))


async def _check(
    message: Message,
    kind: str | None,
    actor: User,
    transfers: Transfers,
    bot: Bot,
    lang: str,
    render: Renderer,
    state: FSMContext,
) -> None:
    actor.require(ADMINISTRATION, "import")
    assert message.document is not None
    document = message.document
    upload = Upload(document.file_id, document.file_name or "file", document.file_size, kind)
    async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id, message_thread_id=message.message_thread_id):
        checked = await transfers.check(upload)
    await _show(message, checked, lang, render, state)


def router() -> Router:
    r = Router(name="transfer")

    @r.message(F.document, Command("import"))
    async def captioned(
        message: Message,
        command: CommandObject,
        actor: User,
        transfers: Transfers,
        bot: Bot,
        lang: str,
        render: Renderer,
        state: FSMContext,
    ) -> None:
        await _check(message, _kind(command.args), actor, transfers, bot, lang, render, state)

    @r.message(F.document, ImportFlow.waiting)
    async def awaited(
        message: Message, actor: User, transfers: Transfers, bot: Bot, lang: str, render: Renderer, state: FSMContext
    ) -> None:
        kind = (await state.get_data()).get("kind") or _kind(message.caption)
        await _check(message, kind, actor, transfers, bot, lang, render, state)

    @r.message(F.document, F.chat.type == "private", StateFilter(None, ImportFlow.confirming))
    async def bare(
        message: Message, actor: User, transfers: Transfers, bot: Bot, lang: str, render: Renderer, state: FSMContext
    ) -> None:
        """A document with no dialogue in progress (or replacing the file whose report waits)."""
        await _check(message, _kind(message.caption), actor, transfers, bot, lang, render, state)

    @r.message(F.document, F.chat.type == "private")
    async def busy(message: Message, actor: User, lang: str, render: Renderer) -> None:
        """A document in the middle of another dialogue (an item, an order...) leaves it alone."""
        actor.require(ADMINISTRATION, "import")
        await message.answer(render.text(lang, "import.busy"))

    @r.message(Command("import"))
    async def start(
        message: Message, command: CommandObject, actor: User, lang: str, render: Renderer, state: FSMContext
    ) -> None:
        actor.require(ADMINISTRATION, "import")
        kind = _kind(command.args)
        if command.args and kind is None:
            await message.answer(render.render("transfer/which_kind.html", lang, unknown=command.args, kinds=()))
            return
        await state.set_state(ImportFlow.waiting)
        await state.set_data({"kind": kind})
        await message.answer(render.render("transfer/send_file.html", lang, kind=kind or ""))

    @r.message(StateFilter(ImportFlow), F.text, ~F.text.startswith("/"), F.via_bot.is_(None))
    async def words(message: Message, lang: str, render: Renderer, state: FSMContext, raw_state: str | None) -> None:
        """Text while a file is awaited (it may name the kind) or while its report waits for a press."""
        if raw_state == ImportFlow.confirming.state:
            await message.answer(render.text(lang, "import.press"))
            return
        kind = _kind(message.text) or (await state.get_data()).get("kind")
        await state.set_data({"kind": kind})
        await message.answer(render.render("transfer/send_file.html", lang, kind=kind or ""))

    @r.callback_query(ImportStep.filter(), ImportFlow.confirming)
    async def decided(
        query: CallbackQuery,
        callback_data: ImportStep,
        actor: User,
        idem: str,
        transfers: Transfers,
        bot: Bot,
        lang: str,
        render: Renderer,
        state: FSMContext,
    ) -> None:
        actor.require(ADMINISTRATION, "import")
        pending = _pending(await state.get_data())
        if not isinstance(query.message, Message) or pending is None or callback_data.token != pending[1]:
            await stale(query, actor, lang, render)
            return
        message, up = query.message, pending[0]
        if callback_data.act != "go":
            await state.clear()
            await unbutton(message)
            await message.answer(render.text(lang, "import.dropped"))
            return
        # Should this fail (the file, the database...), the import stays pending and Confirm works again.
        async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id, message_thread_id=message.message_thread_id):
            checked = await transfers.apply(up, actor.id, idem)
        if checked.result is None or checked.report is None:
            await unbutton(message)
            await _show(message, checked, lang, render, state)  # changed or now invalid: no longer pending
            return
        await state.clear()
        await unbutton(message)
        line = result_line(lang, checked.report.kind, checked.report.rows, checked.result)
        await message.answer(render.render("transfer/result.html", lang, line=line))

    @r.callback_query(ImportStep.filter())
    async def stale(query: CallbackQuery, actor: User, lang: str, render: Renderer) -> None:
        actor.require(ADMINISTRATION, "import")
        if isinstance(query.message, Message):
            await query.message.answer(render.text(lang, "import.stale"))

    @r.message(Command("export"))
    async def export(
        message: Message, command: CommandObject, actor: User, transfers: Transfers, bot: Bot, lang: str, render: Renderer
    ) -> None:
        actor.require(ADMINISTRATION, "export")
        asked = _export_args(command.args)
        if asked is None or asked[0] not in transfers.export_kinds:
            await message.answer(render.render("transfer/export_usage.html", lang, kinds=transfers.export_kinds))
            return
        kind, fmt, start, end = asked
        async with ChatActionSender.upload_document(
            bot=bot, chat_id=message.chat.id, message_thread_id=message.message_thread_id
        ):
            file = await transfers.export(kind, fmt, start, end)
        if file.too_large:
            dated = kind in transfers.dated_kinds
            limit = UPLOAD_LIMIT // 1_000_000
            await message.answer(
                render.render("transfer/export_too_large.html", lang, kind=kind, fmt=fmt, dated=dated, limit=limit)
            )
            return
        caption = render.text(lang, "export.done", kind=kind, rows=f"{file.rows:,}")
        await _deliver(message, bot, actor, BufferedInputFile(file.data, file.name), caption, lang, render)

    return r
