"""The Bot API session keeps the classes aiogram validates answers with: a garbage collection
between two calls must not make pydantic build `Response[Message]` again (~3 ms each)."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import GetUserChatBoosts, SendMessage, TelegramMethod
from pydantic._internal import _generics

from bot.session import KeptResponseSession

TOKEN = "123456:" + "S" * 35
ANSWER = json.dumps({"ok": True, "result": {"message_id": 7, "date": 1, "chat": {"id": 5, "type": "private"}, "text": "hi"}})


def _builds_across_collections(
    session: AiohttpSession, method: TelegramMethod[Any], content: str, monkeypatch: pytest.MonkeyPatch
) -> int:
    built: list[Any] = []
    original = _generics.create_generic_submodel

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(_generics, "create_generic_submodel", counting)
    bot = Bot(TOKEN, session=session)
    for _ in range(3):
        assert session.check_response(bot, method, 200, content).result is not None
        gc.collect()
    return len(built)


async def test_answers_are_validated_without_rebuilding_their_class(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = KeptResponseSession()
    try:
        builds = _builds_across_collections(kept, SendMessage(chat_id=5, text="hi"), ANSWER, monkeypatch)
        assert builds <= 1  # at most the first time in this process
    finally:
        await kept.close()


async def test_the_plain_session_rebuilds_after_a_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the kept session is for; if aiogram or pydantic start caching strongly, this fails
    and bot/session.py can go."""
    plain = AiohttpSession()
    boosts = GetUserChatBoosts(chat_id=5, user_id=6)  # its answer's class is kept by nothing we run
    try:
        assert _builds_across_collections(plain, boosts, json.dumps({"ok": True, "result": {"boosts": []}}), monkeypatch) >= 2
    finally:
        await plain.close()
