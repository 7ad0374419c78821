"""Import and export from the chat: the command line's reader, validation, use case and exporter
behind one service, so a file sent to the bot is judged exactly as `caixiao import` judges it.

The file itself is not kept: Telegram keeps it, and its file_id (in the dialogue state) fetches it
again on Confirm. The bytes must hash the same as when they were checked, and the rows are checked
again against the database of that moment, so a Confirm pressed an hour later applies nothing that
became invalid meanwhile.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from contextlib import aclosing
from dataclasses import replace
from datetime import date, tzinfo
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from bot.tabular import MAX_BYTES, TableRefused, check_size, read_table_data, write_table_to
from domain.importing import KINDS, Known, guess_kind, validate
from domain.services.bus import Bus
from domain.services.importing import ApplyImport
from handlers.transfer import ERRORS_KEPT, UPLOAD_LIMIT, Checked, Exported, Upload
from storage.database import Database
from storage.transfer import REPORTS, export_report, export_rows, known_codes

CHUNK = 64 * 1024


class _TooLarge(Exception):
    pass


class _Capped(io.BytesIO):
    """A buffer that stops the writer once it holds more than `limit` bytes: an export too large
    to send is not built to the end."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: Any, /) -> int:
        if self.tell() + len(data) > self.limit:
            raise _TooLarge
        return super().write(data)


class ChatTransfers:
    """handlers.transfer.Transfers over the application's database, bus and bot."""

    export_kinds = (*KINDS, *REPORTS)
    dated_kinds = REPORTS
    upload_limit = UPLOAD_LIMIT  # what Telegram lets a bot send
    errors_kept = ERRORS_KEPT

    def __init__(self, db: Database, bus: Bus, bot: Bot, timezone: tzinfo) -> None:
        self.db, self.bus, self.bot, self.timezone = db, bus, bot, timezone

    async def _download(self, upload: Upload) -> bytes:
        """At most MAX_BYTES: the size Telegram states is checked first, and the stream is cut
        short should a file turn out bigger than it said."""
        check_size(upload.size or 0)
        try:
            file = await self.bot.get_file(upload.file_id)
        except TelegramBadRequest as exc:
            if "too big" not in exc.message:
                raise
            # Telegram gives bots files up to 20 MB only; this one did not say its size.
            raise TableRefused("too_large", size=f"> {MAX_BYTES // 1024 // 1024}", limit=MAX_BYTES // 1024 // 1024) from exc
        check_size(file.file_size or 0)
        assert file.file_path is not None
        session = self.bot.session
        if session.api.is_local:  # a self-hosted Bot API server hands out a local path
            return await asyncio.to_thread(Path(file.file_path).read_bytes)
        data = bytearray()
        stream = session.stream_content(url=session.api.file_url(self.bot.token, file.file_path), chunk_size=CHUNK)
        async with aclosing(stream):  # stopping early must still close the HTTP response
            async for chunk in stream:
                data += chunk
                if len(data) > MAX_BYTES:
                    break
        check_size(len(data))
        return bytes(data)

    async def _known(self) -> Known:
        async with self.db.reading() as conn:
            return await known_codes(conn)

    async def _read(self, upload: Upload) -> tuple[bytes, list[list[str]]]:
        data = await self._download(upload)
        return data, await asyncio.to_thread(read_table_data, data, upload.file_name)

    async def check(self, upload: Upload) -> Checked:
        try:
            data, table = await self._read(upload)
        except TableRefused as exc:
            return Checked(upload, refused=exc.reason, details=exc.details)
        upload = replace(upload, digest=hashlib.sha256(data).hexdigest())
        kind = upload.kind
        if kind is None:
            fits = guess_kind(table[0]) if table else []
            if len(fits) != 1:
                return Checked(upload, candidates=tuple(fits))
            kind = fits[0]
        upload = replace(upload, kind=kind)
        report = await asyncio.to_thread(validate, kind, table, await self._known(), max_errors=self.errors_kept)
        return Checked(upload, report=report)

    async def apply(self, upload: Upload, actor_id: int, idempotency_key: str | None) -> Checked:
        assert upload.kind is not None, "only a checked upload is applied"
        try:
            data, table = await self._read(upload)
        except TableRefused as exc:
            return Checked(upload, refused=exc.reason, details=exc.details)
        if hashlib.sha256(data).hexdigest() != upload.digest:
            return Checked(upload, refused="changed")
        report = await asyncio.to_thread(validate, upload.kind, table, await self._known(), max_errors=self.errors_kept)
        if not report.ok:
            return Checked(upload, report=report)
        cmd = ApplyImport(actor_id=actor_id, source="chat", idempotency_key=idempotency_key, report=report)
        return Checked(upload, report=report, result=await self.bus.handle(cmd))

    async def export(self, kind: str, fmt: str, start: date | None = None, end: date | None = None) -> Exported:
        async with self.db.reading() as conn:
            if kind in REPORTS:
                header, rows = await export_report(conn, kind, self.timezone, start, end)
            else:
                header, rows = await export_rows(conn, kind)
        # A CSV is cut short once too large to send; a workbook (compressed, and openpyxl cannot
        # be stopped halfway cleanly) is measured when written.
        out = _Capped(self.upload_limit) if fmt == "csv" else io.BytesIO()
        try:
            await asyncio.to_thread(write_table_to, out, f".{fmt}", header, rows)
        except _TooLarge:
            return Exported(f"{kind}.{fmt}", b"", len(rows), too_large=True)
        if out.tell() > self.upload_limit:
            return Exported(f"{kind}.{fmt}", b"", len(rows), too_large=True)
        return Exported(f"{kind}.{fmt}", out.getvalue(), len(rows))
