"""A local Telegram Bot API emulator: the real URL shapes, answers and errors, plus a control API.

async with Emulator() as emu:
    bot = Bot(emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
    user = await emu.client.create_user("Ann")
    await emu.client.send_text(user["id"], "/start")
"""

from bot.emulator.client import EmulatorClient
from bot.emulator.errors import ControlError
from bot.emulator.limits import FloodLimits
from bot.emulator.models import ApiErrorRecord, Button, CallbackAnswer, ChatMessage, Group, Injected, InlineAnswer
from bot.emulator.server import DEFAULT_TOKEN, Emulator

__all__ = [
    "DEFAULT_TOKEN",
    "ApiErrorRecord",
    "Button",
    "CallbackAnswer",
    "ChatMessage",
    "ControlError",
    "Emulator",
    "EmulatorClient",
    "FloodLimits",
    "Group",
    "InlineAnswer",
    "Injected",
]
