"""The control API under /_emu/: set up the world, act as users, read what the bot did, wait.

Bodies and answers are JSON; file contents travel base64-encoded. A request the emulator cannot
honour (unknown user, a button that is not on the message, …) gets {"error": "..."} with 400/404.

POST (body = the keyword arguments of the function in actions.py it calls):
  users, groups, topics, members, members/remove, bot_membership, block, forwards,
  messages (user text/reply), documents (content_b64), press, inline, redeliver, limits, errors/clear
GET:
  users, chats, transcript?chat_id=&thread_id=, callback_answers, inline_answers, errors,
  chat_actions?chat_id=, commands, updates, status, files/{file_id},
  wait?since=VERSION&timeout=S (long poll for any change), idle?quiet=S&timeout=S
"""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.emulator import actions
from bot.emulator.errors import ControlError
from bot.emulator.limits import FloodLimits
from bot.emulator.state import State
from bot.emulator.wire import transcript_json

Handler = Callable[[web.Request], Awaitable[web.Response]]


class Control:
    def __init__(self, state: State, is_busy: Callable[[], bool]) -> None:
        self.state = state
        self.is_busy = is_busy  # true while something besides the state (e.g. a webhook POST) is in flight

    def routes(self) -> list[web.RouteDef]:
        post = {
            "users": self.create_user,
            "groups": self.create_group,
            "topics": self.create_topic,
            "members": self.add_member,
            "members/remove": self.remove_member,
            "bot_membership": self.bot_membership,
            "block": self.block,
            "messages": self.send_text,
            "forwards": self.forward_text,
            "documents": self.send_document,
            "press": self.press,
            "inline": self.inline,
            "redeliver": self.redeliver,
            "limits": self.set_limits,
            "errors/clear": self.clear_errors,
        }
        get = {
            "users": self.users,
            "chats": self.chats,
            "transcript": self.transcript,
            "callback_answers": self.callback_answers,
            "inline_answers": self.inline_answers,
            "errors": self.errors,
            "chat_actions": self.chat_actions,
            "commands": self.commands,
            "updates": self.updates,
            "status": self.status,
            "wait": self.wait,
            "idle": self.idle,
        }
        routes = [web.post(f"/_emu/{name}", _guard(h)) for name, h in post.items()]
        routes += [web.get(f"/_emu/{name}", _guard(h)) for name, h in get.items()]
        routes.append(web.get("/_emu/files/{file_id}", _guard(self.file)))
        return routes

    # --- setup and user input

    async def create_user(self, request: web.Request) -> web.Response:
        return web.json_response(actions.create_user(self.state, **await _body(request)))

    async def create_group(self, request: web.Request) -> web.Response:
        return web.json_response(actions.create_group(self.state, **await _body(request)))

    async def create_topic(self, request: web.Request) -> web.Response:
        return web.json_response({"thread_id": actions.create_topic(self.state, **await _body(request))})

    async def add_member(self, request: web.Request) -> web.Response:
        return web.json_response(actions.add_member(self.state, **await _body(request)))

    async def remove_member(self, request: web.Request) -> web.Response:
        return web.json_response(actions.remove_member(self.state, **await _body(request)))

    async def bot_membership(self, request: web.Request) -> web.Response:
        actions.set_bot_member(self.state, **await _body(request))
        return web.json_response({"ok": True})

    async def block(self, request: web.Request) -> web.Response:
        actions.set_blocked(self.state, **await _body(request))
        return web.json_response({"ok": True})

    async def send_text(self, request: web.Request) -> web.Response:
        return web.json_response(actions.send_text(self.state, **await _body(request)))

    async def forward_text(self, request: web.Request) -> web.Response:
        return web.json_response(actions.forward_text(self.state, **await _body(request)))

    async def send_document(self, request: web.Request) -> web.Response:
        body = await _body(request)
        content = base64.b64decode(body.pop("content_b64", ""))
        return web.json_response(actions.send_document(self.state, content=content, **body))

    async def press(self, request: web.Request) -> web.Response:
        return web.json_response(actions.press_button(self.state, **await _body(request)))

    async def inline(self, request: web.Request) -> web.Response:
        return web.json_response(actions.inline_query(self.state, **await _body(request)))

    async def redeliver(self, request: web.Request) -> web.Response:
        return web.json_response(actions.redeliver(self.state, **await _body(request)))

    async def set_limits(self, request: web.Request) -> web.Response:
        self.state.flood.configure(FloodLimits(**await _body(request)))
        return web.json_response(asdict(self.state.flood.limits))

    async def clear_errors(self, request: web.Request) -> web.Response:
        self.state.errors.clear()
        return web.json_response({"ok": True})

    # --- reading

    async def users(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(u) for u in self.state.users.values()])

    async def chats(self, request: web.Request) -> web.Response:
        groups = [actions.group_json(self.state, c) for c in self.state.chats.values() if c.is_group]
        return web.json_response(groups)

    async def transcript(self, request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        thread = request.query.get("thread_id")
        state = self.state
        messages = [state.messages[(chat_id, mid)] for mid in state.order.get(chat_id, [])]
        if thread is not None:
            messages = [m for m in messages if m.thread_id == int(thread)]
        return web.json_response({"version": state.version, "messages": [transcript_json(state, m) for m in messages]})

    async def callback_answers(self, request: web.Request) -> web.Response:
        queries = [asdict(q) for q in self.state.callback_queries.values()]
        return web.json_response({"version": self.state.version, "queries": queries})

    async def inline_answers(self, request: web.Request) -> web.Response:
        queries = [asdict(q) for q in self.state.inline_queries.values()]
        return web.json_response({"version": self.state.version, "queries": queries})

    async def errors(self, request: web.Request) -> web.Response:
        return web.json_response([asdict(e) for e in self.state.errors])

    async def chat_actions(self, request: web.Request) -> web.Response:
        chat_id = request.query.get("chat_id")
        found = [a for a in self.state.chat_actions if chat_id is None or a["chat_id"] == int(chat_id)]
        return web.json_response(found)

    async def commands(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.commands)

    async def updates(self, request: web.Request) -> web.Response:
        return web.json_response(list(self.state.updates.history.values()))

    async def file(self, request: web.Request) -> web.Response:
        stored = self.state.files.get(request.match_info["file_id"])
        if stored is None:
            raise ControlError("unknown file_id", 404)
        return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")

    def _status(self) -> dict[str, Any]:
        state = self.state
        idle_for = None
        if not (state.updates.has_unconsumed() or state.bot_requests_in_flight or self.is_busy()):
            idle_for = time.monotonic() - max(state.last_bot_activity, state.updates.last_handout)
        hook = state.updates.webhook
        return {
            "version": state.version,
            "pending_updates": len(state.updates.pending),
            "pollers_waiting": state.updates.pollers_waiting,
            "bot_requests_in_flight": state.bot_requests_in_flight,
            "idle_for": idle_for,
            "webhook_url": hook.url if hook else None,
            "early_retries": state.flood.early_retries,
            "limits": asdict(state.flood.limits),
            "error_count": len(state.errors),
        }

    async def status(self, request: web.Request) -> web.Response:
        return web.json_response(self._status())

    async def wait(self, request: web.Request) -> web.Response:
        """Long poll: answers when the state changes after version `since`, or at `timeout`."""
        since = int(request.query.get("since", self.state.version))
        timeout = min(float(request.query.get("timeout", 10)), 60.0)
        return web.json_response({"version": await self.state.wait_change(since, timeout)})

    async def idle(self, request: web.Request) -> web.Response:
        """Answers once the bot has consumed every update and made no request for `quiet` seconds."""
        quiet = float(request.query.get("quiet", 0.3))
        deadline = time.monotonic() + min(float(request.query.get("timeout", 10)), 120.0)
        while True:
            status = self._status()
            idle_for = status["idle_for"]
            if idle_for is not None and idle_for >= quiet:
                return web.json_response(status | {"idle": True})
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return web.json_response(status | {"idle": False})
            step = quiet - idle_for if idle_for is not None else remaining
            await self.state.wait_change(status["version"], max(0.01, min(step, remaining)))


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def _guard(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ControlError as exc:
            return web.json_response({"error": exc.message}, status=exc.status)
        except (TypeError, ValueError, KeyError) as exc:
            return web.json_response({"error": f"bad control request: {exc}"}, status=400)

    return guarded
