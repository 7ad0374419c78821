"""The emulator as one object: an aiohttp server with the Bot API and the control API."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from aiohttp import web

from bot.emulator.bot_api import BotApi
from bot.emulator.client import EmulatorClient
from bot.emulator.control import Control
from bot.emulator.limits import FloodLimits
from bot.emulator.state import State
from bot.emulator.webhook import WebhookDeliverer

DEFAULT_TOKEN = "123456789:EMULATOR-caixiao-local-token"


class Emulator:
    """``async with Emulator() as emu:`` serves at ``emu.base_url``; ``emu.client`` drives it.

    Point aiogram at it with ``AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))``.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "caixiao_bot",
        limits: FloodLimits | None = None,
        webhook_retry_delay: float = 0.2,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.bot_username = bot_username
        self.limits = limits
        self.webhook_retry_delay = webhook_retry_delay
        self.clock = clock  # seconds for the flood limits (default time.monotonic)
        self._state: State | None = None
        self._runner: web.AppRunner | None = None
        self._deliverer: WebhookDeliverer | None = None
        self._client: EmulatorClient | None = None

    @property
    def state(self) -> State:
        """The live state, for in-process inspection; tests should prefer ``client``."""
        if self._state is None:
            raise RuntimeError("the emulator is not running")
        return self._state

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def client(self) -> EmulatorClient:
        if self._client is None:
            self._client = EmulatorClient(self.base_url)
        return self._client

    def build_app(self) -> web.Application:
        state = State(self.token, self.bot_username, self.limits, self.clock)
        self._state = state
        api = BotApi(state)
        self._deliverer = WebhookDeliverer(state, api.execute_webhook_reply, retry_delay=self.webhook_retry_delay)
        deliverer = self._deliverer
        control = Control(state, lambda: deliverer.in_flight)
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.add_routes(control.routes())
        app.add_routes(api.routes())
        return app

    async def start(self) -> None:
        app = self.build_app()
        # handler_cancellation: a bot that hangs up a long poll must not leave a waiter behind that
        # would later count as a second getUpdates caller.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        assert self._deliverer is not None
        self._deliverer.start()

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._state is not None:
            self._state.updates.closing = True
            self._state.updates.wake_all()
        if self._deliverer is not None:
            await self._deliverer.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()
