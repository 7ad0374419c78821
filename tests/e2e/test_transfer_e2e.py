"""Spreadsheets through the real bot process: an admin's refused file changes nothing (a file of
many bad rows gets a bounded report), a good one is applied on Confirm, an export comes back as a
workbook, and inline search answers with cards."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from bot.emulator import Emulator
from storage.tables import items
from tests.e2e.conftest import BotProcess, People, no_errors
from tests.support import ADMIN, VIEWER, World, snapshot


async def test_import_export_and_inline_search(emu: Emulator, company: tuple[str, World], people: People) -> None:
    url, world = company
    client = emu.client
    bot = BotProcess(emu, url, "polling")
    await bot.start()
    try:
        # A binary renamed .csv is refused and changes nothing.
        before = await snapshot(world.db)
        seen = len(await client.transcript(ADMIN))
        await client.send_document(ADMIN, b"\x7fELF\x02\x01\x01\x00\x00binary", "items.csv", caption="/import items")
        [refusal] = await people.new_messages(ADMIN, seen, 1)
        assert "looks binary" in refusal.content and not refusal.buttons
        assert await snapshot(world.db) == before

        # Many bad rows: a bounded report, its list attached (built off the event loop); nothing changes.
        seen = len(await client.transcript(ADMIN))
        rows = "".join(f"X-{n},Widget,1" + ",x" * 20 + "\n" for n in range(3000))  # 60,000 problems
        await client.send_document(ADMIN, f"sku,name,reorder_point\n{rows}".encode(), "big.csv", caption="/import items")
        report, errors = await people.new_messages(ADMIN, seen, 2)
        assert "3,000 bad row(s) among 3,000" in report.content and "2,950 more bad row(s)" in report.content
        assert errors.document is not None and errors.document["file_name"] == "big-errors.txt"
        lines = (await client.file_content(errors.document["file_id"])).decode("utf-8-sig").splitlines()
        assert len(lines) == 1_002 and lines[-1] == "items: 3,000 bad row(s) among 3,000; nothing changed."
        assert await snapshot(world.db) == before

        # A good file: the report first, the change only on Confirm.
        seen = len(await client.transcript(ADMIN))
        content = b"sku,name,reorder_point,supplier\nN-1,Hinge,5,ACME\nN-2,Latch,0,ACME\n"
        await client.send_document(ADMIN, content, "items.csv", caption="/import items")
        [report] = await people.new_messages(ADMIN, seen, 1)
        assert "2 items rows, all valid" in report.content
        seen = len(await client.transcript(ADMIN))
        await people.press(ADMIN, report, "Confirm")
        [result] = await people.new_messages(ADMIN, seen, 1)
        assert "2 created, 0 updated, 0 unchanged" in result.content
        assert await world.count(items) == 5

        # The export comes back as a workbook with the new items in it.
        seen = len(await client.transcript(ADMIN))
        await client.send_text(ADMIN, "/export items xlsx")
        [exported] = await people.new_messages(ADMIN, seen, 1)
        assert exported.document is not None and exported.document["file_name"] == "items.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(await client.file_content(exported.document["file_id"])), read_only=True)
        skus = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
        assert skus == ["A-1", "B-2", "C-3", "N-1", "N-2"]
        assert {a["action"] for a in await client.chat_actions(ADMIN)} >= {"typing", "upload_document"}

        # Inline search from any chat lists the item with its stock; choosing it posts the card.
        await world.stock_in("N-1", 7)
        query = await client.inline_query(VIEWER, "hinge")

        async def answered() -> dict[str, Any] | None:
            found = [a for a in await client.inline_answers() if a.id == query.query_id and a.answered]
            return found[0].answer if found else None

        answer = await client.wait_until(answered, timeout=10, what="the inline answer")
        [hit] = answer["results"]
        assert hit["title"] == "N-1 · Hinge" and "7" in hit["description"]
        card = hit["input_message_content"]
        assert card["parse_mode"] == "HTML" and "<b>N-1 · Hinge</b>" in card["message_text"]

        await no_errors(client)
    finally:
        code = await bot.stop()
    assert code == 0, bot.output.decode(errors="replace")
