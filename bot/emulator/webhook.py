"""Webhook mode: setWebhook/deleteWebhook/getWebhookInfo and the task that POSTs updates out.

Updates go out one at a time in order; a failed delivery is retried (backing off) before any later
update is sent, as Telegram does. A webhook reply that is itself a method call is executed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.emulator.errors import bad_request
from bot.emulator.params import Params
from bot.emulator.state import State
from bot.emulator.updates import WebhookConfig

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def set_webhook(state: State, p: Params) -> bool:
    url = p.str_("url") or ""
    queue = state.updates
    if p.bool_("drop_pending_updates"):
        queue.drop_pending()
    allowed = p.json_("allowed_updates", "can't parse allowed updates JSON object")
    queue.set_allowed(allowed if isinstance(allowed, list) else None)
    if not url:
        queue.webhook = None
        state.touch()
        return True
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.str_("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    queue.webhook = WebhookConfig(
        url=url,
        secret_token=secret,
        max_connections=p.int_("max_connections") or 40,
        allowed_updates=allowed if isinstance(allowed, list) else None,
    )
    queue.supersede_pollers()
    return True


def delete_webhook(state: State, p: Params) -> bool:
    if p.bool_("drop_pending_updates"):
        state.updates.drop_pending()
    state.updates.webhook = None
    state.touch()
    return True


def get_webhook_info(state: State, p: Params) -> dict[str, Any]:
    hook = state.updates.webhook
    info: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": len(state.updates.pending)}
    if hook is None:
        return info
    info.update(url=hook.url, max_connections=hook.max_connections, ip_address=hook.ip_address)
    if hook.last_error_date is not None:
        info.update(last_error_date=hook.last_error_date, last_error_message=hook.last_error_message)
    if hook.allowed_updates is not None:
        info["allowed_updates"] = hook.allowed_updates
    return info


class WebhookDeliverer:
    def __init__(
        self,
        state: State,
        execute: Callable[[Params], Awaitable[None]],
        retry_delay: float = 0.2,
        max_retry_delay: float = 5.0,
        timeout: float = 10.0,
    ) -> None:
        self.state = state
        self.execute = execute
        self.retry_delay = retry_delay
        self.max_retry_delay = max_retry_delay
        self.timeout = timeout
        self.in_flight = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        delay = self.retry_delay
        async with aiohttp.ClientSession() as session:
            while not self._stopping:
                hook = self.state.updates.webhook
                update = self.state.updates.first_undelivered() if hook else None
                if hook is None or update is None:
                    await self.state.updates.wait_arrival(1.0)
                    continue
                error = await self._post(session, hook, update)
                if error is None:
                    delay = self.retry_delay
                    continue
                hook.last_error_date = int(time.time())
                hook.last_error_message = error
                self.state.touch()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_delay)

    async def _post(self, session: aiohttp.ClientSession, hook: WebhookConfig, update: dict[str, Any]) -> str | None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
        self.in_flight = True
        try:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with session.post(hook.url, json=update, headers=headers, timeout=timeout) as resp:
                body = await resp.read()
                status, reason, content_type = resp.status, resp.reason, resp.headers.get("Content-Type", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"Connection failed: {type(exc).__name__}"
        finally:
            self.in_flight = False
            self.state.last_bot_activity = time.monotonic()
        if not 200 <= status < 300:
            return f"Wrong response from the webhook: {status} {reason}"
        self.state.updates.delivered(update)
        reply = Params.from_webhook_reply(content_type, body)
        if reply is not None:
            await self.execute(reply)
        return None
