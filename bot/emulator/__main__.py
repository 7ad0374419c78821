"""``python -m bot.emulator --port 8081``: serve the emulator until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from bot.emulator.limits import FloodLimits
from bot.emulator.server import DEFAULT_TOKEN, Emulator


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description="Local Telegram Bot API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the only bot token it accepts")
    parser.add_argument("--bot-username", default="caixiao_bot")
    parser.add_argument("--flood-limits", action="store_true", help="enforce Telegram's flood limits (429 with retry_after)")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    limits = FloodLimits.telegram() if args.flood_limits else None
    async with Emulator(args.token, args.host, args.port, args.bot_username, limits) as emu:
        sys.stderr.write(f"Bot API emulator at {emu.base_url} (token {args.token}); control API at {emu.base_url}/_emu/\n")
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    main()
