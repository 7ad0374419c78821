"""The sandbox (`caixiao demo`, and `caixiao run` without a token): the whole system against the
local Bot API emulator with the sample company, chatted with from the terminal as any sample
person, or driven by a tour script whose transcript is printed."""

from bot.sandbox.runner import run_sandbox, tour

__all__ = ["run_sandbox", "tour"]
