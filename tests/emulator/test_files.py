"""Documents and photos, both ways: the bot uploads and users send; both can be downloaded."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile

from bot.emulator import EmulatorClient


def tiny_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


async def test_bot_document_upload_and_download(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    content = "sku,qty\nA-1,10\n采销,2\n".encode()
    sent = await bot.send_document(
        ann["id"], BufferedInputFile(content, "stock.csv"), caption="<b>Export</b> 2026-01", parse_mode="HTML"
    )
    assert sent.document is not None and sent.document.file_name == "stock.csv" and sent.document.mime_type == "text/csv"
    assert sent.caption == "Export 2026-01"
    [line] = await client.transcript(ann["id"])
    assert line.document is not None and line.document["file_size"] == len(content) and line.content == "Export 2026-01"
    assert await client.file_content(sent.document.file_id) == content
    downloaded = await bot.download(sent.document.file_id)
    assert isinstance(downloaded, io.BytesIO) and downloaded.getvalue() == content
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_document(ann["id"], BufferedInputFile(b"x", "a.txt"), caption="c" * 1025)
    await bot.send_document(ann["id"], sent.document.file_id, caption="c" * 1024)  # re-send by file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(ann["id"], "no-such-file-id")


async def test_user_document_reaches_the_bot(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    content = b"sku,name\nB-2,Bolt\n"
    injected = await client.send_document(ann["id"], content, "items.csv", caption="import")
    [update] = await bot.get_updates()
    assert update.update_id == injected.update_id
    document = update.message.document if update.message else None
    assert document is not None and document.file_name == "items.csv" and document.mime_type == "text/csv"
    file = await bot.get_file(document.file_id)
    assert file.file_size == len(content) and file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert isinstance(downloaded, io.BytesIO) and downloaded.getvalue() == content
    with pytest.raises(TelegramBadRequest, match="Bad Request: invalid file_id"):
        await bot.get_file("nope")


async def test_photo_has_its_size(bot: Bot, client: EmulatorClient) -> None:
    ann = await client.create_user("Ann")
    sent = await bot.send_photo(ann["id"], BufferedInputFile(tiny_png(3, 2), "chart.png"), caption="Digest")
    assert sent.photo is not None and (sent.photo[-1].width, sent.photo[-1].height) == (3, 2)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(ann["id"], BufferedInputFile(b"not an image", "x.png"))
