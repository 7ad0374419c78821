"""The terminal chat: each line is sent as the current sample person, and the bot's answers are shown
as Telegram would show them, with every other chat's new messages (group alerts above all) as they
come. Lines starting with ":" are the sandbox's own commands, `#2` presses a button, `# …` is a
comment, and `$PO` / `$SO` stand for the newest order numbers the bot has shown."""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol, TextIO

import aiohttp

from bot.emulator import Button, ChatMessage, ControlError, EmulatorClient
from bot.i18n import t, term
from bot.sandbox.lines import Lines
from bot.sandbox.render import MORE, message_lines, pad
from bot.sandbox.world import GROUPS, PEOPLE, GroupChat, Person, members

# The handler has finished when this is waited for, and it awaits its own sends; the pause is for
# what it set going in the background (card copies, alerts) to show in this step rather than the next.
QUIET = 0.1
ALERT_POLL = 0.05  # the alert router looks at the outbox every half second; the sender is woken at once
STEP_TIMEOUT = 20.0
NUMBER = re.compile(r"\b(PO|SO)-(\d{4})-(\d+)")
PRESS = re.compile(r"#\s*(\d+)")
PRIVATE = {"me", "dm", "private", "私聊", "我"}


class Progress(Protocol):
    async def finished(self, update_id: int, timeout: float) -> bool:  # noqa: ASYNC109
        """True once the bot has handled the update (whatever the outcome); False at the timeout."""
        ...

    async def alerts_due(self) -> bool:
        """True while alerts wait to be routed or sent (not those waiting to retry later)."""
        ...


def is_comment(line: str) -> bool:
    text = line.strip()
    return text.startswith("#") and not PRESS.fullmatch(text)


class Session:
    def __init__(self, client: EmulatorClient, progress: Progress, lang: str, out: TextIO) -> None:
        self.client, self.progress, self.lang, self.out = client, progress, lang, out
        self.person = next(p for p in PEOPLE if p.role == "buyer" and p.language == lang)
        self.chat = self.person.id
        self.numbers: dict[str, tuple[tuple[int, int], str]] = {}  # PO/SO: the newest shown, by (year, sequence)
        self.failures = 0  # sandbox steps that could not be done (a tour must have none)
        self.lock = asyncio.Lock()  # one step or one background refresh prints at a time
        self._seen: dict[tuple[int, int], tuple[int, bool]] = {}
        self._errors_shown = 0
        self._narrating = False  # consecutive comment lines form one paragraph
        self._commands: dict[str, Callable[[str], Awaitable[bool]]] = {
            "help": self._help,
            "who": self._who,
            "users": self._who,
            "as": self._as,
            "groups": self._groups,
            "in": self._in,
            "press": self._press_text,
            "wait": self._wait,
            "file": self._file,
            "errors": self._errors,
            "quit": self._quit,
            "exit": self._quit,
            "q": self._quit,
        }

    # --- the loop

    async def run(self, lines: Lines, *, live: bool) -> None:
        """Until the lines end or :quit. `live` also shows other chats' messages between lines."""
        watcher = asyncio.create_task(self._watch()) if live else None
        try:
            async with self.lock:
                await self._settle(None)  # today's alerts from the sample's story
                await self._show_new(label_all=True)
            while (line := await lines.read(self.prompt())) is not None:
                if lines.echo and line.strip() and not is_comment(line):
                    self.say(f"{self.prompt()}{self._filled(line, strict=False)}")
                if not await self.handle(line):
                    break
            async with self.lock:
                await self._settle(None, quiet=0.5)  # what the last step set going (alerts) has time to arrive
                await self._show_new()
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher

    async def handle(self, line: str) -> bool:
        """One line; False when the person asked to stop."""
        text = line.strip()
        narrating, self._narrating = self._narrating, False
        if not text:
            return True
        if match := PRESS.fullmatch(text):
            await self._press_number(int(match[1]))
        elif text.startswith("#"):
            self.say(("" if narrating else "\n") + t(self.lang, "sandbox.narration", text=text.lstrip("#").strip()))
            self._narrating = True
        elif text.startswith(":"):
            name, _, arg = text[1:].partition(" ")
            command = self._commands.get(name.lower())
            if command is None:
                self.fail("sandbox.unknown_command", command=text.split()[0])
                return True
            return await command(arg.strip())
        else:
            await self._send(text)
        return True

    def prompt(self) -> str:
        role = term(self.lang, "role", self.person.role)
        if self.chat == self.person.id:
            return t(self.lang, "sandbox.prompt", name=self.person.name, role=role)
        return t(self.lang, "sandbox.prompt_group", name=self.person.name, role=role, chat=self._title(self.chat))

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def fail(self, key: str, **values: object) -> None:
        self.failures += 1
        self.say("  ⚠ " + t(self.lang, key, **values))

    # --- acting as the person

    def _filled(self, text: str, *, strict: bool = True) -> str:
        """$PO and $SO replaced by the numbers they stand for; KeyError (when strict) if one is unknown."""

        def number(m: re.Match[str]) -> str:
            return self.numbers[m[1]][1] if strict or m[1] in self.numbers else m[0]

        return re.sub(r"\$(PO|SO)\b", number, text)

    async def _send(self, text: str) -> None:
        try:
            text = self._filled(text)
        except KeyError as missing:
            self.fail("sandbox.no_number", kind=missing.args[0])
            return
        async with self.lock:
            try:
                injected = await self.client.send_text(self.person.id, text, chat_id=self.chat)
            except ControlError as exc:
                self.fail("sandbox.refused", detail=exc.message)
                return
            await self._settle(injected.update_id)
            await self._show_new()

    async def _press_number(self, n: int) -> None:
        async with self.lock:
            message = await self._last_with_buttons()
            if message is None:
                self.fail("sandbox.no_buttons")
            elif not 1 <= n <= len(message.buttons):
                self.fail("sandbox.no_such_button", n=n, count=len(message.buttons))
            else:
                await self._press(message, message.buttons[n - 1])

    async def _press_text(self, words: str) -> bool:
        async with self.lock:
            message = await self._last_with_buttons()
            found = [b for b in message.buttons if words.casefold() in b.text.casefold()] if message and words else []
            if message is None:
                self.fail("sandbox.no_buttons")
            elif not found:
                self.fail("sandbox.no_button_named", words=words)
            else:
                await self._press(message, found[0])
        return True

    async def _press(self, message: ChatMessage, button: Button) -> None:
        if button.callback_data is None:
            self.fail("sandbox.not_callback", button=button.text)
            return
        self.say(t(self.lang, "sandbox.pressed", button=button.text))
        try:
            injected = await self.client.press(
                self.person.id, message.chat_id, message.message_id, callback_data=button.callback_data
            )
        except ControlError as exc:
            self.fail("sandbox.refused", detail=exc.message)
            return
        await self._settle(injected.update_id)
        answer = next((q for q in await self.client.callback_answers() if q.id == injected.query_id), None)
        if answer is not None and answer.text:
            self.say(t(self.lang, "sandbox.toast", text=answer.text))
        await self._show_new(pressed=message.message_id)

    async def _last_with_buttons(self) -> ChatMessage | None:
        for message in reversed(await self.client.transcript(self.chat)):
            if message.from_bot and not message.deleted and message.buttons:
                return message
        return None

    async def _settle(self, update_id: int | None, quiet: float = QUIET) -> None:
        """Wait until the bot has handled the update, the alerts it caused are delivered and the
        bot has gone quiet, so that each step shows all it caused and nothing of the next."""
        if update_id is not None and not await self.progress.finished(update_id, STEP_TIMEOUT):
            self.fail("sandbox.not_idle", seconds=STEP_TIMEOUT)
            return
        deadline = time.monotonic() + STEP_TIMEOUT
        try:
            while True:
                await self.client.wait_until_idle(quiet=quiet, timeout=max(deadline - time.monotonic(), 0.1))
                if not await self.progress.alerts_due():
                    return
                if time.monotonic() > deadline:
                    raise TimeoutError
                await asyncio.sleep(ALERT_POLL)
        except TimeoutError:
            self.fail("sandbox.not_idle", seconds=STEP_TIMEOUT)

    # --- showing what the bot did

    async def _show_new(self, *, label_all: bool = False, pressed: int | None = None) -> bool:
        """Every bot message sent, edited or deleted since last time: this chat's first, as the
        person sees them, then each other chat's (alerts, copies of cards) under its name; with
        `label_all` (nothing asked yet) this chat's under its name too. In full: new messages here
        and in groups, and edits of the message just `pressed` or of the latest one here;
        anything else in one line."""
        changes: dict[int, list[tuple[float, ChatMessage, bool]]] = {}
        latest = 0
        for chat in [p.id for p in PEOPLE] + [g.id for g in GROUPS]:
            for m in await self.client.transcript(chat):
                if not m.from_bot:
                    continue
                if chat == self.chat:
                    latest = m.message_id
                # The newest order is the one just made: an alert about an older one does not move $PO.
                for found in NUMBER.finditer(m.text or ""):
                    newest = ((int(found[2]), int(found[3])), found[0])
                    self.numbers[found[1]] = max(self.numbers.get(found[1], newest), newest)
                key, now = (m.chat_id, m.message_id), (len(m.edits), m.deleted)
                before = self._seen.get(key)
                self._seen[key] = now
                if before == now or (before is None and m.deleted):
                    continue
                changed = before is not None
                when = m.edits[-1]["replaced_at"] if changed and m.edits else m.sent_at
                changes.setdefault(chat, []).append((float(when), m, changed))
        here = [] if label_all else changes.pop(self.chat, [])
        for chat, shown in [(self.chat, here), *sorted(changes.items(), key=lambda c: min(w for w, _, _ in c[1]))]:
            if shown and (chat != self.chat or label_all):
                self.say(t(self.lang, "sandbox.elsewhere", chat=self._label(chat)))
            # A group's alerts are what the channels are for, so they are shown in full; someone
            # else's private chat, and copies of a card changing, are news in one line each.
            in_full = chat == self.chat or any(g.id == chat for g in GROUPS)
            for _, message, changed in sorted(shown, key=lambda c: c[0]):
                lines = message_lines(message, self.lang, edited=changed)
                brief = (not in_full or (changed and message.message_id not in (pressed, latest))) and len(lines) > 1
                self.say("\n".join(lines[:1] + [MORE + "…"] if brief else lines))
        await self._show_errors()
        return bool(changes)

    async def _show_errors(self) -> None:
        errors = await self.client.errors()
        for e in errors[self._errors_shown :]:
            self.say("  ⚠ " + t(self.lang, "sandbox.api_error", method=e.method, code=e.code, description=e.description))
        self._errors_shown = len(errors)

    async def _watch(self) -> None:
        """At a terminal: show what arrives between lines (alerts from the scheduler), then the prompt again."""

        async def arrived() -> None:
            if not self.lock.locked():
                async with self.lock:
                    if await self._show_new():
                        self.out.write(self.prompt())
                        self.out.flush()

        while True:
            try:
                await self.client.wait_until(arrived, timeout=60, what="anything")
            except (TimeoutError, ControlError):
                continue
            except aiohttp.ClientError:
                return  # the emulator is shutting down under us

    def _label(self, chat: int) -> str:
        group = next((g for g in GROUPS if g.id == chat), None)
        if group is not None:
            return t(self.lang, "sandbox.group_label", title=group.title)
        return t(self.lang, "sandbox.private_label", name=next(p.name for p in PEOPLE if p.id == chat))

    def _title(self, chat: int) -> str:
        return next(g.title for g in GROUPS if g.id == chat)

    # --- sandbox commands (each returns False to end the session)

    async def _help(self, _: str) -> bool:
        self.say(t(self.lang, "sandbox.help"))
        return True

    async def _who(self, _: str) -> bool:
        for n, p in enumerate(PEOPLE, 1):
            mark = "▸" if p == self.person else " "
            role = term(self.lang, "role", p.role)
            line = t(
                self.lang,
                "sandbox.who_line",
                mark=mark,
                n=n,
                name=pad(p.name, 16),
                role=pad(role, 10),
                language=p.language,
                id=p.id,
            )
            self.say(line)
        return True

    async def _as(self, who: str) -> bool:
        person = self._find_person(who)
        if person is None:
            self.fail("sandbox.unknown_person", who=who)
            return True
        self.person, self.chat = person, person.id
        self.say(t(self.lang, "sandbox.now_as", name=person.name, role=term(self.lang, "role", person.role)))
        return True

    async def _groups(self, _: str) -> bool:
        for n, g in enumerate(GROUPS, 1):
            names = ", ".join(p.name for p in PEOPLE if p.id in members(g))
            self.say(t(self.lang, "sandbox.group_line", n=n, title=g.title, id=g.id, members=names, kinds=", ".join(g.kinds)))
        return True

    async def _in(self, where: str) -> bool:
        if not where or where.casefold() in PRIVATE:
            self.chat = self.person.id
            self.say(t(self.lang, "sandbox.now_private", name=self.person.name))
            return True
        group = self._find_group(where)
        if group is None:
            self.fail("sandbox.unknown_group", where=where)
        elif self.person.id not in members(group):
            self.fail("sandbox.not_member", name=self.person.name, title=group.title)
        else:
            self.chat = group.id
            self.say(t(self.lang, "sandbox.now_group", title=group.title))
        return True

    async def _file(self, path: str) -> bool:
        """Send a file as a document (for /import), as the person would attach one."""
        try:
            name, content = await asyncio.to_thread(_read_file, path)
        except OSError as exc:
            self.fail("sandbox.no_file", path=path, detail=exc.strerror or exc)
            return True
        async with self.lock:
            try:
                injected = await self.client.send_document(self.person.id, content, name, chat_id=self.chat)
            except ControlError as exc:
                self.fail("sandbox.refused", detail=exc.message)
                return True
            await self._settle(injected.update_id)
            await self._show_new()
        return True

    async def _wait(self, seconds: str) -> bool:
        """:wait [seconds]: 2 by default, at most 120. nan and inf are refused (sleeping nan
        seconds never returns); a negative number waits 0."""
        try:
            delay = float(seconds or 2)
        except ValueError:
            delay = math.nan
        if not math.isfinite(delay):
            self.fail("sandbox.bad_seconds", value=seconds)
            return True
        await asyncio.sleep(min(max(delay, 0.0), 120.0))
        async with self.lock:
            await self._settle(None)
            await self._show_new()
        return True

    async def _errors(self, _: str) -> bool:
        errors = await self.client.errors()
        for e in errors:
            self.say("  ⚠ " + t(self.lang, "sandbox.api_error", method=e.method, code=e.code, description=e.description))
        self.say(t(self.lang, "sandbox.errors_total", count=len(errors)))
        return True

    async def _quit(self, _: str) -> bool:
        return False

    def _find_person(self, who: str) -> Person | None:
        key = who.strip().casefold()
        if not key:
            return None
        if key.isdigit():
            number = int(key)
            by_id = next((p for p in PEOPLE if p.id == number), None)
            return by_id or (PEOPLE[number - 1] if 1 <= number <= len(PEOPLE) else None)
        in_role = [p for p in PEOPLE if key in (p.role, term(self.lang, "role", p.role).casefold())]
        if in_role:
            return next((p for p in in_role if p.language == self.lang), in_role[0])
        return next((p for p in PEOPLE if key in p.name.casefold()), None)

    def _find_group(self, where: str) -> GroupChat | None:
        key = where.strip().casefold()
        if key.lstrip("-").isdigit():
            number = int(key)
            by_id = next((g for g in GROUPS if g.id == number), None)
            return by_id or (GROUPS[number - 1] if 1 <= number <= len(GROUPS) else None)
        return next((g for g in GROUPS if key in g.title.casefold()), None)


def _read_file(path: str) -> tuple[str, bytes]:
    file = Path(path).expanduser()
    return file.name, file.read_bytes()
