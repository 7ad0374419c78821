"""The Bot API itself: /bot<token>/<method> and /file/bot<token>/<path>, answered like Telegram."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.emulator import messaging, queries, webhook
from bot.emulator.errors import ApiError, bad_request, conflict, not_found, unauthorized
from bot.emulator.params import Params
from bot.emulator.state import ErrorRecord, State

Method = Callable[[State, Params], Any]

METHODS: dict[str, Method] = {
    "getme": queries.get_me,
    "sendmessage": messaging.send_message,
    "senddocument": messaging.send_document,
    "sendphoto": messaging.send_photo,
    "editmessagetext": messaging.edit_message_text,
    "editmessagecaption": messaging.edit_message_caption,
    "editmessagereplymarkup": messaging.edit_message_reply_markup,
    "deletemessage": messaging.delete_message,
    "sendchataction": messaging.send_chat_action,
    "answercallbackquery": queries.answer_callback_query,
    "answerinlinequery": queries.answer_inline_query,
    "setmycommands": queries.set_my_commands,
    "getmycommands": queries.get_my_commands,
    "deletemycommands": queries.delete_my_commands,
    "getfile": queries.get_file,
    "getchat": queries.get_chat,
    "getchatmember": queries.get_chat_member,
    "setwebhook": webhook.set_webhook,
    "deletewebhook": webhook.delete_webhook,
    "getwebhookinfo": webhook.get_webhook_info,
    "close": queries.ok_true,
    "logout": queries.ok_true,
}
MAX_POLL_TIMEOUT = 50  # Telegram caps long polling too


class BotApi:
    def __init__(self, state: State) -> None:
        self.state = state

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/bot{token}/{method}", self.handle),
            web.get("/file/bot{token}/{path:.+}", self.download),
        ]

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        polling = method.lower() == "getupdates"
        state = self.state
        if not polling:
            state.bot_requests_in_flight += 1
            state.touch()
        params: Params | None = None
        try:
            if request.match_info["token"] != state.token:
                raise unauthorized()
            params = await Params.from_request(request)
            result = await self.get_updates(params) if polling else self.call(method, params)
            return web.json_response({"ok": True, "result": result})
        except ApiError as exc:
            self.record(method, exc, params.values if params else request.query)
            return web.json_response(exc.payload(), status=exc.code)
        finally:
            if not polling:
                state.bot_requests_in_flight -= 1
                state.last_bot_activity = time.monotonic()
                state.touch()

    def call(self, method: str, params: Params) -> Any:
        handler = METHODS.get(method.lower())
        if handler is None:
            raise not_found()
        return handler(self.state, params)

    async def execute_webhook_reply(self, params: Params) -> None:
        method = params.str_("method") or ""
        try:
            self.call(method, params)
        except ApiError as exc:
            self.record(method, exc, params.values)

    def record(self, method: str, exc: ApiError, params: Any) -> None:
        summary = {str(k): str(v)[:200] for k, v in dict(params).items()}
        self.state.errors.append(ErrorRecord(method, exc.code, exc.description, exc.retry_after, summary, time.time()))
        self.state.touch()

    async def get_updates(self, p: Params) -> list[dict[str, Any]]:
        queue = self.state.updates
        if queue.webhook is not None:
            raise conflict("can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        limit = p.int_("limit") or 100
        if not 1 <= limit <= 100:
            limit = 100
        timeout = max(0, min(p.int_("timeout") or 0, MAX_POLL_TIMEOUT))
        allowed = p.json_("allowed_updates", "can't parse allowed updates JSON object")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("can't parse allowed updates JSON object")
        queue.set_allowed(allowed)
        batch = await queue.take(p.int_("offset"), limit, timeout)
        if batch is None:
            raise conflict("terminated by other getUpdates request; make sure that only one bot instance is running")
        return batch

    async def download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.state.token:
            raise web.HTTPUnauthorized(text='{"ok":false,"error_code":401,"description":"Unauthorized"}')
        stored = self.state.files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(not_found().payload(), status=404)
        return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")
