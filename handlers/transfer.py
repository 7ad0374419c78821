"""/import and /export: spreadsheets through the chat, judged and applied exactly as by
`caixiao import` (all or nothing, every bad row reported) and written by `caixiao export`.

A file is applied only after the admin presses Confirm under its report. Until then the dialogue
state holds the file's Telegram id (not its bytes: a file may be 20 MB, the state is a JSON row),
its name, kind and hash; Confirm fetches it again from Telegram (see bot.transfers).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Protocol

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender

from bot.callbacks import ImportStep
from bot.i18n import catalog, t
from bot.transfer_text import report_lines, result_line
from domain.importing import KINDS, ImportReport
from domain.master import ADMINISTRATION, User
from domain.services.importing import ImportResult
from notifications.formats import clip
from notifications.render import Renderer

FORMATS = ("csv", "xlsx")
REPORT_BUDGET = 3_500  # visible characters of report lines in one message; the rest goes in a file
LINE_LIMIT = 300  # one row's complaint in the message (a pasted page in a cell stays in the file)
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
    data: bytes
    rows: int


class Transfers(Protocol):
    """Files in and out (bot.transfers.ChatTransfers). Nothing is written unless `apply` is called
    with a checked upload whose every row is valid at that moment; then all of it is."""

    export_kinds: tuple[str, ...]

    async def check(self, upload: Upload) -> Checked: ...

    async def apply(self, upload: Upload, actor_id: int, idempotency_key: str | None) -> Checked: ...

    async def export(self, kind: str, fmt: str, start: date | None = None, end: date | None = None) -> Exported:
        """pos, sos and moves: those created from `start` to `end` (company days, both included)."""
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


async def _show(message: Message, checked: Checked, lang: str, render: Renderer, state: FSMContext) -> None:
    """The report under the file: a refusal, a question, every bad row, or the Confirm button."""
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
        *rows, summary = report_lines(lang, report)
        shown, more = _fit(rows)
        page = render.render("transfer/report.html", lang, file=up.file_name, lines=shown, more=more, summary=summary)
        await message.answer(page)
        if more:
            name = f"{up.file_name.rsplit('.', 1)[0]}-errors.txt"
            await message.answer_document(BufferedInputFile("\n".join([*rows, summary]).encode("utf-8-sig"), name))
    else:
        await state.set_state(ImportFlow.confirming)
        await state.set_data(asdict(up))
        buttons = [
            InlineKeyboardButton(text=t(lang, "import.confirm"), callback_data=ImportStep(act="go", token=up.digest[:16]).pack()),
            InlineKeyboardButton(text=t(lang, "import.drop"), callback_data=ImportStep(act="no", token=up.digest[:16]).pack()),
        ]
        text = render.render("transfer/valid.html", lang, file=up.file_name, kind=report.kind, rows=report.rows)
        await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons]))


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

    @r.message(F.document, F.chat.type == "private")
    async def bare(
        message: Message, actor: User, transfers: Transfers, bot: Bot, lang: str, render: Renderer, state: FSMContext
    ) -> None:
        await _check(message, _kind(message.caption), actor, transfers, bot, lang, render, state)

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
    async def words(message: Message, lang: str, render: Renderer, state: FSMContext) -> None:
        """Text while a file is awaited (it may name the kind) or while its report waits for a press."""
        if await state.get_state() == ImportFlow.confirming.state:
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
        up = Upload(**await state.get_data())
        if not isinstance(query.message, Message) or callback_data.token != up.digest[:16]:
            await stale(query, actor, lang, render)
            return
        message = query.message
        await message.edit_reply_markup(reply_markup=None)
        await state.clear()
        if callback_data.act != "go":
            await message.answer(render.text(lang, "import.dropped"))
            return
        async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id, message_thread_id=message.message_thread_id):
            checked = await transfers.apply(up, actor.id, idem)
        if checked.result is None or checked.report is None:
            await _show(message, checked, lang, render, state)
            return
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
            caption = render.text(lang, "export.done", kind=kind, rows=f"{file.rows:,}")
            await message.answer_document(BufferedInputFile(file.data, file.name), caption=caption)

    return r
