"""Where the sandbox's lines come from: a tour file, or standard input typed or piped."""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sys
import threading
from collections.abc import Iterator
from typing import Any, Protocol, TextIO


class Lines(Protocol):
    # False when the person saw the line as they typed it; otherwise the session shows it.
    echo: bool

    async def read(self, prompt: str) -> str | None:
        """The next line without its newline, None at the end."""
        ...

    def close(self) -> None: ...


class ScriptLines:
    echo = True

    def __init__(self, lines: list[str]) -> None:
        self._lines: Iterator[str] = iter(lines)

    async def read(self, prompt: str) -> str | None:
        return next(self._lines, None)

    def close(self) -> None:
        pass


class StdinLines:
    """Reads in a daemon thread, so a pending read never keeps the process alive at exit.

    At a terminal the prompt goes through input() (line editing, history); piped input is echoed
    after the prompt instead, so a transcript shows what was sent.
    """

    def __init__(self, stdin: TextIO, out: TextIO) -> None:
        self.stdin, self.out = stdin, out
        self.tty = stdin.isatty()
        self.echo = not self.tty
        self._asks: queue.SimpleQueue[tuple[str, asyncio.AbstractEventLoop, asyncio.Future[str | None]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._terminal: list[Any] | None = None
        if self.tty:
            with contextlib.suppress(ImportError):  # not on every platform
                import readline  # noqa: F401  # enables line editing in input()
            with contextlib.suppress(ImportError, OSError):
                import termios

                self._terminal = termios.tcgetattr(stdin.fileno())

    def close(self) -> None:
        """Give the terminal back as it was: ended by Ctrl-C, input() may have left it mid-edit."""
        if self._terminal is not None:
            import termios

            with contextlib.suppress(OSError):
                termios.tcsetattr(self.stdin.fileno(), termios.TCSADRAIN, self._terminal)

    def _serve(self) -> None:
        while True:
            prompt, loop, answer = self._asks.get()
            line: str | None
            try:
                if self.tty and self.stdin is sys.stdin:
                    line = input(prompt)
                else:
                    raw = self.stdin.readline()
                    line = raw.rstrip("\r\n") if raw else None
            except EOFError:
                line = None
            except (OSError, ValueError):  # stdin closed under us
                line = None
            with contextlib.suppress(RuntimeError):  # the loop is gone: the sandbox has ended
                loop.call_soon_threadsafe(_settle, answer, line)

    async def read(self, prompt: str) -> str | None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="sandbox-stdin", daemon=True)
            self._thread.start()
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str | None] = loop.create_future()
        self._asks.put((prompt, loop, answer))
        line = await answer
        if line is None and self.tty:
            self.out.write("\n")  # Ctrl-D leaves the cursor after the prompt
        return line


def _settle(answer: asyncio.Future[str | None], line: str | None) -> None:
    if not answer.done():
        answer.set_result(line)
