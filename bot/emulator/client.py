"""EmulatorClient: the control API from Python, for tests and the terminal sandbox.

Talks HTTP, so it drives an emulator in this process or in another one alike.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from types import TracebackType
from typing import Any, TypeVar

import aiohttp

from bot.emulator.errors import ControlError
from bot.emulator.limits import FloodLimits
from bot.emulator.models import ApiErrorRecord, CallbackAnswer, ChatMessage, Group, Injected, InlineAnswer

T = TypeVar("T")
MessagePredicate = Callable[[ChatMessage], bool]


def _from_bot(message: ChatMessage) -> bool:
    return message.from_bot and not message.deleted


class EmulatorClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    # --- transport

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        async with self._http().post(f"{self.base_url}/_emu/{path}", json=body) as resp:
            return await _answer(resp)

    async def _get(self, path: str, **query: Any) -> Any:
        params = {k: str(v) for k, v in query.items() if v is not None}
        async with self._http().get(f"{self.base_url}/_emu/{path}", params=params) as resp:
            return await _answer(resp)

    # --- setting up the world

    async def create_user(
        self,
        first_name: str,
        user_id: int | None = None,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "en",
        started: bool = True,
    ) -> dict[str, Any]:
        body = {"first_name": first_name, "user_id": user_id, "username": username, "last_name": last_name}
        result: dict[str, Any] = await self._post("users", body | {"language_code": language_code, "started": started})
        return result

    async def create_group(
        self,
        title: str,
        members: list[int] | None = None,
        admins: list[int] | None = None,
        forum: bool = False,
        supergroup: bool = False,
        topics: list[str] | None = None,
        chat_id: int | None = None,
        username: str | None = None,
    ) -> Group:
        body: dict[str, Any] = {"title": title, "members": members, "admins": admins, "forum": forum, "supergroup": supergroup}
        body |= {"topics": topics, "chat_id": chat_id, "username": username}
        return Group.from_json(await self._post("groups", body))

    async def create_topic(self, chat_id: int, name: str, creator_id: int | None = None) -> int:
        return int((await self._post("topics", {"chat_id": chat_id, "name": name, "creator_id": creator_id}))["thread_id"])

    async def add_member(self, chat_id: int, user_id: int, admin: bool = False) -> Group:
        return Group.from_json(await self._post("members", {"chat_id": chat_id, "user_id": user_id, "admin": admin}))

    async def remove_member(self, chat_id: int, user_id: int) -> Group:
        return Group.from_json(await self._post("members/remove", {"chat_id": chat_id, "user_id": user_id}))

    async def set_bot_member(self, chat_id: int, member: bool) -> None:
        await self._post("bot_membership", {"chat_id": chat_id, "member": member})

    async def block(self, user_id: int, blocked: bool = True) -> None:
        await self._post("block", {"user_id": user_id, "blocked": blocked})

    async def set_limits(self, limits: FloodLimits) -> None:
        await self._post("limits", asdict(limits))

    # --- acting as a user

    async def send_text(
        self, user_id: int, text: str, chat_id: int | None = None, thread_id: int | None = None, reply_to: int | None = None
    ) -> Injected:
        body = {"user_id": user_id, "text": text, "chat_id": chat_id, "thread_id": thread_id, "reply_to": reply_to}
        return _injected(await self._post("messages", body))

    async def forward(self, user_id: int, from_user_id: int, text: str) -> Injected:
        """`user_id` forwards to the bot, in private, a message `from_user_id` wrote."""
        return _injected(await self._post("forwards", {"user_id": user_id, "from_user_id": from_user_id, "text": text}))

    async def reply(self, user_id: int, chat_id: int, message_id: int, text: str) -> Injected:
        return await self.send_text(user_id, text, chat_id=chat_id, reply_to=message_id)

    async def send_document(
        self,
        user_id: int,
        content: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        thread_id: int | None = None,
    ) -> Injected:
        body: dict[str, Any] = {"user_id": user_id, "content_b64": base64.b64encode(content).decode(), "file_name": file_name}
        body |= {"mime_type": mime_type, "caption": caption, "chat_id": chat_id, "thread_id": thread_id}
        return _injected(await self._post("documents", body))

    async def press(
        self, user_id: int, chat_id: int, message_id: int, text: str | None = None, callback_data: str | None = None
    ) -> Injected:
        body = {"user_id": user_id, "chat_id": chat_id, "message_id": message_id, "text": text, "callback_data": callback_data}
        answer = await self._post("press", body)
        return Injected(answer["update"], query_id=answer["callback_query_id"])

    async def inline_query(self, user_id: int, query: str, offset: str = "", chat_type: str | None = "sender") -> Injected:
        answer = await self._post("inline", {"user_id": user_id, "query": query, "offset": offset, "chat_type": chat_type})
        return Injected(answer["update"], query_id=answer["inline_query_id"])

    async def redeliver(self, update_id: int) -> Injected:
        return Injected((await self._post("redeliver", {"update_id": update_id}))["update"])

    # --- reading what happened

    async def transcript(self, chat_id: int, thread_id: int | None = None) -> list[ChatMessage]:
        return (await self._transcript(chat_id, thread_id))[1]

    async def _transcript(self, chat_id: int, thread_id: int | None) -> tuple[int, list[ChatMessage]]:
        answer = await self._get("transcript", chat_id=chat_id, thread_id=thread_id)
        return int(answer["version"]), [ChatMessage.from_json(m) for m in answer["messages"]]

    async def message(self, chat_id: int, message_id: int) -> ChatMessage:
        for message in await self.transcript(chat_id):
            if message.message_id == message_id:
                return message
        raise ControlError(f"no message {message_id} in chat {chat_id}", 404)

    async def bot_messages(self, chat_id: int, thread_id: int | None = None) -> list[ChatMessage]:
        return [m for m in await self.transcript(chat_id, thread_id) if _from_bot(m)]

    async def callback_answers(self) -> list[CallbackAnswer]:
        return [CallbackAnswer(**q) for q in (await self._get("callback_answers"))["queries"]]

    async def inline_answers(self) -> list[InlineAnswer]:
        return [InlineAnswer(**q) for q in (await self._get("inline_answers"))["queries"]]

    async def errors(self) -> list[ApiErrorRecord]:
        return [ApiErrorRecord(**e) for e in await self._get("errors")]

    async def clear_errors(self) -> None:
        await self._post("errors/clear", {})

    async def chat_actions(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._get("chat_actions", chat_id=chat_id)
        return result

    async def commands(self) -> dict[str, list[dict[str, str]]]:
        result: dict[str, list[dict[str, str]]] = await self._get("commands")
        return result

    async def updates(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._get("updates")
        return result

    async def users(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._get("users")
        return result

    async def groups(self) -> list[Group]:
        return [Group.from_json(g) for g in await self._get("chats")]

    async def status(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._get("status")
        return result

    async def file_content(self, file_id: str) -> bytes:
        async with self._http().get(f"{self.base_url}/_emu/files/{file_id}") as resp:
            if resp.status != 200:
                await _answer(resp)
            return await resp.read()

    # --- waiting without sleeping
    # Each wait is a long poll on the server; the caller's timeout is passed on to it, which is why these
    # take a timeout parameter instead of relying on asyncio.timeout() (hence the ASYNC109 exemptions).

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: MessagePredicate | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        thread_id: int | None = None,
        newer_than: int = 0,
    ) -> ChatMessage:
        """The first message (in chat order, id > newer_than) matching predicate — by default any bot message."""
        check = predicate or _from_bot
        deadline = time.monotonic() + timeout
        while True:
            version, messages = await self._transcript(chat_id, thread_id)
            for message in messages:
                if message.message_id > newer_than and check(message):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                shown = [(m.message_id, m.sender, m.content[:80], m.button_texts) for m in messages]
                raise TimeoutError(f"no matching message in chat {chat_id} after {timeout}s; transcript: {shown}")
            await self._get("wait", since=version, timeout=remaining)

    async def wait_for_callback_answer(self, callback_query_id: str, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        async def answered() -> CallbackAnswer | None:
            for query in await self.callback_answers():
                if query.id == callback_query_id and query.answered:
                    return query
            return None

        return await self.wait_until(answered, timeout, f"callback query {callback_query_id} was not answered")

    async def wait_until(self, check: Callable[[], Awaitable[T | None]], timeout: float = 5.0, what: str = "condition") -> T:  # noqa: ASYNC109
        """Re-run check after every change in the emulator until it returns something other than None."""
        deadline = time.monotonic() + timeout
        while True:
            version = int((await self._get("status"))["version"])
            found = await check()
            if found is not None:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{what} within {timeout}s")
            await self._get("wait", since=version, timeout=remaining)

    async def wait_until_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Returns once every update is consumed and the bot has made no API call for `quiet` seconds."""
        status: dict[str, Any] = await self._get("idle", quiet=quiet, timeout=timeout)
        if not status["idle"]:
            raise TimeoutError(f"the bot did not go idle within {timeout}s: {status}")
        return status


async def _answer(resp: aiohttp.ClientResponse) -> Any:
    data = await resp.json()
    if resp.status >= 400:
        raise ControlError(str(data.get("error", data)), resp.status)
    return data


def _injected(answer: dict[str, Any]) -> Injected:
    return Injected(answer["update"], message=ChatMessage.from_json(answer["message"]))
