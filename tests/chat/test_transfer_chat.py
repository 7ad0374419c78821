"""/import and /export in chat: a document is checked like `caixiao import --dry-run`, applied only
on Confirm, and any refused file changes nothing; exports read back; inline search posts cards."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import AnswerInlineQuery, EditMessageReplyMarkup, SendChatAction, SendDocument, TelegramMethod
from aiogram.types import Chat, InlineQuery, InlineQueryResultArticle, InputTextMessageContent, Message, Update, User
from sqlalchemy.exc import OperationalError

import handlers.transfer
from bot.i18n import t
from storage.database import Database
from storage.tables import customers, items, suppliers
from tests.chat.harness import UPDATE_IDS, ChatHarness, Sent, check_html
from tests.support import ADMIN, MANAGER, VIEWER, World, snapshot

GOOD = "sku,name,reorder_point,supplier\nN-1,Hinge,5,ACME\na-1,Bolt M6,20,ACME\nB-2,Nut,0,ACME\n"


async def business(db: Database) -> dict[str, Any]:
    """Every table but the dialogue state (which holds a checked file until Confirm)."""
    tables = await snapshot(db)
    del tables["dialogue_state"]
    return tables


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_good_file_is_reported_then_applied_on_confirm(chat: ChatHarness, world: World, lang: str) -> None:
    before = await business(world.db)

    [report] = await chat.send_document(ADMIN, GOOD.encode(), "items.csv", "/import items", lang)

    assert "items.csv" in report.text and "3" in report.text
    assert await business(world.db) == before  # nothing until Confirm
    assert any(isinstance(call, SendChatAction) for call in chat.recorder.calls)
    confirm = next(data for label, data in report.buttons() if "✅" in label)
    [result] = await chat.press(ADMIN, report, "✅", lang)
    assert ("1 created, 1 updated, 1 unchanged" if lang == "en" else "新建 1，更新 1，未变 1") in result.text
    assert await world.count(items) == 4
    async with world.bus.uow_factory() as uow:
        assert (await uow.items.by_sku("N-1")).name == "Hinge"
        assert (await uow.items.by_sku("A-1")).name == "Bolt M6"
    # The same button again: the import is no longer waiting, and nothing happens twice.
    after = await business(world.db)
    [stale] = await chat.press_data(ADMIN, report, confirm, lang)  # a tap that left before the buttons went
    assert "✅" not in stale.text and stale.buttons() == []
    assert await business(world.db) == after


async def test_import_then_the_file_with_the_kind_guessed_from_a_chinese_header(chat: ChatHarness, world: World) -> None:
    [ask] = await chat.say(ADMIN, "/import")
    assert "Send the file" in ask.text
    content = xlsx([["编码", "仓库", "数量"], ["A-1", "MAIN", 40], ["B-2", None, 2.5]])

    [report] = await chat.send_document(ADMIN, content, "盘点.xlsx")
    [result] = await chat.press(ADMIN, report, "Confirm")

    assert "stock" in report.text and "IMP-" in result.text
    assert await world.balance("A-1") == (Decimal(40), Decimal(0))
    assert await world.balance("B-2") == (Decimal("2.5"), Decimal(0))
    assert await world.drift() == []


async def test_a_caption_naming_the_kind_is_enough(chat: ChatHarness, world: World) -> None:
    [report] = await chat.send_document(ADMIN, b"code,name\nHUA,Hua Nan\n", "partners.csv", "suppliers")
    await chat.press(ADMIN, report, "Confirm")

    async with world.bus.uow_factory() as uow:
        assert (await uow.suppliers.by_code("HUA")).name == "Hua Nan"


async def test_a_header_that_fits_several_kinds_gets_a_question(chat: ChatHarness, world: World) -> None:
    before = await business(world.db)

    [ask] = await chat.send_document(ADMIN, b"code,name\nHUA,Hua Nan\n", "partners.csv")

    assert "Which kind" in ask.text and "suppliers, customers" in ask.text and ask.buttons() == []
    assert await business(world.db) == before


@pytest.mark.parametrize(
    ("name", "content", "size", "expect"),
    [
        ("items.csv", b"sku,name\nX-1,x\n", 25 * 1024 * 1024, "up to 20 MB"),
        ("items.pdf", b"%PDF-1.4", None, "not supported"),
        ("items.csv", b"sku,name\n\x00\x01\x02\x7fELF", None, "looks binary"),
        ("items.csv", b"PK\x03\x04 a zip renamed", None, "looks binary"),
        ("items.xlsx", b"PK\x03\x04 not really a workbook", None, "not a readable .xlsx"),
        ("items.xls", b"\xd0\xcf\x11\xe0 old excel", None, ".xls"),
        ("items.csv", b"sku,name\n\xff\xfe\xff\xfe,x\n", None, "CSV UTF-8"),
        ("items.csv", b"sku,name,reorder_point\nX-1,Widget,-5\nX-2,,1O\nX-1,Dup,1\n", None, "line 2, column reorder_point"),
    ],
)
async def test_a_refused_file_changes_nothing(
    chat: ChatHarness, world: World, name: str, content: bytes, size: int | None, expect: str
) -> None:
    before = await business(world.db)

    [reply] = await chat.send_document(ADMIN, content, name, "/import items", size=size)

    assert expect in reply.text, reply.text
    assert reply.buttons() == []
    assert await business(world.db) == before


async def test_every_bad_row_is_reported_with_line_column_and_reason(chat: ChatHarness, world: World, lang: str) -> None:
    content = b"sku,name,reorder_point,supplier\nX-1,Widget,-5,ACME\nX-2,,1O,NOBODY\nX-1,Dup,1,\n"

    [report] = await chat.send_document(ADMIN, content, "items.csv", "/import items", lang)

    text = report.text
    for needle in ("2", "reorder_point", "“-5”", "“1O”", "NOBODY", "4"):
        assert needle in text
    assert ("3 bad row(s) among 3; nothing changed." if lang == "en" else "3") in text


async def test_a_long_report_is_attached_as_a_file(chat: ChatHarness, world: World) -> None:
    rows = "".join(f"X-{n},Widget,-{n + 1}\n" for n in range(400))
    before = await business(world.db)

    message, attached = await chat.send_document(ADMIN, f"sku,name,reorder_point\n{rows}".encode(), "items.csv", "/import items")

    assert "…and 340 more in the attached file." in message.text
    assert attached.file is not None and attached.file[0] == "items-errors.txt"
    lines = attached.file[1].decode("utf-8-sig").splitlines()
    assert len(lines) == 401 and lines[-1] == "items: 400 bad row(s) among 400; nothing changed."
    assert await business(world.db) == before


async def test_a_file_that_changed_before_confirm_is_not_applied(chat: ChatHarness, world: World) -> None:
    [report] = await chat.send_document(ADMIN, GOOD.encode(), "items.csv", "/import items")
    file_id = next(iter(chat.recorder.files))
    chat.recorder.files[file_id] = GOOD.replace("Hinge", "Hinge XL").encode()
    before = await business(world.db)

    [reply] = await chat.press(ADMIN, report, "Confirm")

    assert "not the file that was checked" in reply.text
    assert await business(world.db) == before


async def test_drop_changes_nothing(chat: ChatHarness, world: World) -> None:
    before = await business(world.db)
    [report] = await chat.send_document(ADMIN, GOOD.encode(), "items.csv", "/import items")

    [reply] = await chat.press(ADMIN, report, "Drop")

    assert "nothing changed" in reply.text
    assert await business(world.db) == before


async def test_only_admins_import_and_export(chat: ChatHarness, world: World) -> None:
    before = await business(world.db)

    [refused] = await chat.send_document(MANAGER, GOOD.encode(), "items.csv", "/import items")
    [refused_cmd] = await chat.say(VIEWER, "/import items")
    [refused_export] = await chat.say(MANAGER, "/export items")
    [report] = await chat.send_document(ADMIN, GOOD.encode(), "items.csv", "/import items")
    [forged] = await chat.press(MANAGER, report, "Confirm")

    for reply in (refused, refused_cmd, refused_export, forged):
        assert "may not" in reply.text and reply.file is None
    assert "You may not import files." in refused.text and "You may not export data." in refused_export.text
    assert await business(world.db) == before


async def test_export_xlsx_and_csv_read_back(chat: ChatHarness, world: World) -> None:
    await world.stock_in("A-1", 12)

    [sheet] = await chat.say(ADMIN, "/export items xlsx")
    [text] = await chat.say(ADMIN, "/export stock")

    assert sheet.file is not None and sheet.file[0] == "items.xlsx" and "3 rows" in sheet.text
    book = openpyxl.load_workbook(io.BytesIO(sheet.file[1]), read_only=True)
    rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    assert rows[0][:3] == ["sku", "name", "unit"] and [r[0] for r in rows[1:]] == ["A-1", "B-2", "C-3"]
    assert text.file is not None and text.file[0] == "stock.csv" and text.file[1].startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(text.file[1].decode("utf-8-sig"))))
    assert table[0] == ["sku", "warehouse", "qty"] and ["A-1", "MAIN", "12"] in table


async def test_export_of_an_unknown_kind_or_format_lists_the_kinds(chat: ChatHarness, lang: str) -> None:
    for text in ("/export nonsense", "/export items pdf", "/export", "/export moves 2026-11-01 2026-11-02 2026-11-03"):
        [reply] = await chat.say(ADMIN, text, lang)

        assert "items, suppliers, customers, stock, pos, sos, moves" in reply.text and reply.file is None


async def test_export_of_moves_takes_first_and_last_day(chat: ChatHarness, world: World) -> None:
    await world.stock_in("A-1", 5)  # on 2026-11-23 in the company's time zone

    [inside] = await chat.say(ADMIN, "/export moves csv 2026-11-23 2026-11-23")
    [after] = await chat.say(ADMIN, "/export moves xlsx 2026-11-24")

    assert inside.file is not None and after.file is not None
    table = list(csv.reader(io.StringIO(inside.file[1].decode("utf-8-sig"))))
    assert len(table) == 2 and table[1][2:4] == ["A-1", "MAIN"]
    book = openpyxl.load_workbook(io.BytesIO(after.file[1]), read_only=True)
    assert len(list(book.worksheets[0].iter_rows(values_only=True))) == 1  # the header only


async def test_inline_search_lists_items_with_stock_and_posts_the_card(chat: ChatHarness, world: World, lang: str) -> None:
    await world.stock_in("A-1", 25)
    query = InlineQuery(
        id="q1",
        from_user=User(id=VIEWER, is_bot=False, first_name="Vic", language_code=lang),
        query="bolt",
        offset="",
        chat_type="sender",
    )

    await chat.feed(Update(update_id=next(UPDATE_IDS), inline_query=query))

    [answer] = [call for call in chat.recorder.calls if isinstance(call, AnswerInlineQuery)]
    [hit] = answer.results
    assert isinstance(hit, InlineQueryResultArticle)
    assert hit.title.startswith("A-1 · Bolt") and "25" in (hit.description or "")
    content = hit.input_message_content
    assert isinstance(content, InputTextMessageContent)
    check_html(content.message_text)
    assert "A-1 · Bolt" in content.message_text and "25" in content.message_text
    # Sent as HTML (the bot's default), so the chosen card shows as it does on /stock.
    [sent] = chat.recorder.prepare_value([hit], bot=chat.bot, files={}, _dumps_json=False)
    assert sent["input_message_content"]["parse_mode"] == "HTML"


async def test_text_while_a_file_is_awaited_names_the_kind_or_gets_a_reminder(chat: ChatHarness, world: World) -> None:
    await chat.say(ADMIN, "/import")

    [named] = await chat.say(ADMIN, "customers")
    [report] = await chat.send_document(ADMIN, b"code,name\nBIG,Big Store\n", "partners.csv")
    [reminder] = await chat.say(ADMIN, "hello?")
    await chat.press(ADMIN, report, "Confirm")

    assert "Send the customers file" in named.text
    assert "customers rows, all valid" in report.text and "Confirm or Drop" in reminder.text
    async with world.bus.uow_factory() as uow:
        assert (await uow.customers.by_code("BIG")).name == "Big Store"


async def test_a_file_of_many_bad_rows_gets_a_bounded_report(chat: ChatHarness, world: World, lang: str) -> None:
    """1 MB of rows with a stray cell after every column: once an error file of tens of MB, built
    on the event loop; now the first ERRORS_KEPT problems, and how many more there are."""
    rows: list[str] = []
    while sum(map(len, rows)) < 1024 * 1024:
        rows.append(f"X-{len(rows)},Widget,1" + ",x" * 40 + "\n")  # 40 stray cells: 40 problems a row
    count = len(rows)
    before = await business(world.db)

    message, attached = await chat.send_document(
        ADMIN, ("sku,name,reorder_point\n" + "".join(rows)).encode(), "big.csv", "/import items", lang
    )

    assert attached.file is not None and attached.file[0] == "big-errors.txt"
    lines = attached.file[1].decode("utf-8-sig").splitlines()
    assert len(lines) == handlers.transfer.ERRORS_KEPT + 2 and len(attached.file[1]) < 200_000
    listed_rows = handlers.transfer.ERRORS_KEPT // 40
    more = f"{count * 40 - handlers.transfer.ERRORS_KEPT:,}"
    assert lines[-2] == t(lang, "import.left_out_rows", more=more, rows=f"{count - listed_rows:,}", shown="1,000")
    assert lines[-1] == t(lang, "transfer.summary_bad", kind="items", bad=f"{count:,}", rows=f"{count:,}")
    assert lines[-2] in message.text and lines[-1] in message.text and message.buttons() == []
    assert await business(world.db) == before


async def test_an_error_list_too_large_to_send_is_not_attached(
    chat: ChatHarness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers.transfer, "UPLOAD_LIMIT", 10_000)
    rows = "".join(f"X-{n},Widget,-{n + 1}\n" for n in range(400))

    [message] = await chat.send_document(ADMIN, f"sku,name,reorder_point\n{rows}".encode(), "items.csv", "/import items")

    assert "…and 340 more: too many to attach." in message.text and message.file is None


PARTNER = b"code,name\nHUA,Hua Nan\n"


async def test_confirm_under_an_older_report_of_another_kind_applies_nothing(chat: ChatHarness, world: World) -> None:
    """The same bytes checked as suppliers, then as customers: the suppliers report's Confirm must
    not apply the file (as customers or as anything else)."""
    [as_suppliers] = await chat.send_document(ADMIN, PARTNER, "partners.csv", "/import suppliers")
    [as_customers] = await chat.send_document(ADMIN, PARTNER, "partners.csv", "/import customers")
    before = await business(world.db)

    [old] = await chat.press(ADMIN, as_suppliers, "Confirm")

    assert "no longer waiting" in old.text and await business(world.db) == before
    [result] = await chat.press(ADMIN, as_customers, "Confirm")
    assert "customers" in result.text
    assert await world.count(customers, customers.c.code == "HUA") == 1
    assert await world.count(suppliers, suppliers.c.code == "HUA") == 0


def unbuttoned(chat: ChatHarness, sent: Sent) -> bool:
    return any(
        isinstance(call, EditMessageReplyMarkup) and call.message_id == sent.message_id and call.reply_markup is None
        for call in chat.recorder.calls
    )


async def test_a_failed_confirm_keeps_the_import_pending(
    chat: ChatHarness, world: World, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    [report] = await chat.send_document(ADMIN, GOOD.encode(), "items.csv", "/import items", lang)
    file_id = next(iter(chat.recorder.files))
    content = chat.recorder.files.pop(file_id)  # Telegram cannot serve the file for a moment
    before = await business(world.db)

    [fetch_failed] = await chat.press(ADMIN, report, "✅", lang)

    chat.recorder.files[file_id] = content
    handle = world.bus.handle
    calls = 0

    async def database_down(cmd: object) -> object:
        nonlocal calls
        calls += 1
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(world.bus, "handle", database_down)
    [db_failed] = await chat.press(ADMIN, report, "✅", lang)
    monkeypatch.setattr(world.bus, "handle", handle)

    for failed in (fetch_failed, db_failed):
        assert failed.text == t(lang, "error.generic")
    assert calls == 1 and await business(world.db) == before and not unbuttoned(chat, report)
    confirm = next(data for label, data in report.buttons() if "✅" in label)
    [result] = await chat.press(ADMIN, report, "✅", lang)  # the same button, once things work again
    assert t(lang, "import.done") in result.text and await world.count(items) == 4
    assert unbuttoned(chat, report)
    [stale] = await chat.press_data(ADMIN, report, confirm, lang)
    assert t(lang, "import.stale") in stale.text


@pytest.mark.parametrize(("start", "refusal"), [("/item new", "import.busy"), ("/po new", "dialog.use_text")])
async def test_a_document_during_another_dialogue_does_not_replace_it(
    chat: ChatHarness, world: World, start: str, refusal: str
) -> None:
    """A bare document: the item wizard gets the import's own answer, a new PO its dialogue's (its
    router comes first); either way the dialogue goes on until a document captioned /import."""
    [ask] = await chat.say(ADMIN, start)
    before = await business(world.db)

    [busy] = await chat.send_document(ADMIN, GOOD.encode(), "items.csv")

    assert busy.text == t("en", refusal) and busy.buttons() == []
    assert await business(world.db) == before
    # The dialogue is still there: the next answer is its own (a SKU or a supplier), not the file's.
    [answer] = await chat.say(ADMIN, "Q-9" if start == "/item new" else "ACME")
    assert answer.text not in (ask.text, t("en", "import.press"), t("en", "import.busy"))
    # Captioned /import is a command: it is taken as an import in either dialogue.
    [report] = await chat.send_document(ADMIN, GOOD.encode(), "items.csv", "/import items")
    assert "3 items rows, all valid" in report.text


async def test_a_new_file_replaces_the_one_waiting_for_confirm(chat: ChatHarness, world: World) -> None:
    [first] = await chat.send_document(ADMIN, GOOD.encode(), "items.csv", "/import items")
    [second] = await chat.send_document(ADMIN, PARTNER, "partners.csv", "customers")

    [old] = await chat.press(ADMIN, first, "Confirm")
    await chat.press(ADMIN, second, "Confirm")

    assert "no longer waiting" in old.text and await world.count(items) == 3
    assert await world.count(customers, customers.c.code == "HUA") == 1


GROUP = -100_777


async def group_says(chat: ChatHarness, user_id: int, text: str, lang: str = "en") -> list[Sent]:
    message = Message(
        message_id=next(chat.message_ids),
        date=datetime.now(UTC),
        chat=Chat(id=GROUP, type="supergroup", title="Team"),
        from_user=User(id=user_id, is_bot=False, first_name="Ada", language_code=lang),
        text=text,
    )
    return await chat.feed(Update(update_id=next(chat.update_ids), message=message))


async def test_an_export_asked_in_a_group_goes_to_the_admins_private_chat(chat: ChatHarness, world: World, lang: str) -> None:
    sent = await group_says(chat, ADMIN, "/export items", lang)

    [private] = [s for s in sent if s.file is not None]
    [public] = [s for s in sent if s.file is None]
    assert private.chat_id == ADMIN and private.file is not None and private.file[0] == "items.csv"
    assert public.chat_id == GROUP and public.text == t(lang, "export.sent_privately")
    assert all(s.chat_id != GROUP for s in chat.recorder.log if s.file is not None)


async def test_an_export_for_an_admin_the_bot_cannot_write_to_is_not_posted_in_the_group(
    chat: ChatHarness, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_request = chat.recorder.make_request

    async def blocked(bot: Any, method: TelegramMethod[Any], timeout: int | None = None) -> Any:  # noqa: ASYNC109
        if isinstance(method, SendDocument):
            raise TelegramForbiddenError(method, "Forbidden: bot can't initiate conversation with a user")
        return await make_request(bot, method, timeout)

    monkeypatch.setattr(chat.recorder, "make_request", blocked)

    [reply] = await group_says(chat, ADMIN, "/export stock")

    assert reply.chat_id == GROUP and "open a chat with me" in reply.text and reply.file is None
    assert all(s.file is None for s in chat.recorder.log)


async def test_an_export_over_telegrams_upload_limit_is_refused(chat: ChatHarness, world: World, lang: str) -> None:
    await world.stock_in("A-1", 5)
    chat.dp.workflow_data["transfers"].upload_limit = 40  # as if the data were over 50 MB

    [moves] = await chat.say(ADMIN, "/export moves csv 2026-01-01", lang)
    [everything] = await chat.say(ADMIN, "/export items xlsx", lang)

    for reply, kind, hint in ((moves, "moves.csv", "too_large_dated"), (everything, "items.xlsx", "too_large_all")):
        assert reply.file is None
        assert t(lang, "export.too_large", file=kind, limit=50) in reply.text
        assert t(lang, f"export.{hint}", kind=kind.split(".")[0], fmt=kind.split(".")[1]) in reply.text
    assert all(s.file is None for s in chat.recorder.log)
