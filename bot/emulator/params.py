"""Method parameters from any body Telegram accepts: query string, url-encoded, multipart or JSON.

Form bodies carry every value as a string, with complex values (reply_markup, commands, …)
JSON-encoded — the way aiogram and the real Bot API exchange them — so each accessor converts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import Message as MimeMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from bot.emulator.errors import bad_request


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str | None


class Params:
    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise bad_request("can't parse JSON request body") from exc
                if not isinstance(body, dict):
                    raise bad_request("request body must be a JSON object")
                values.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, FileField):
                        uploads[key] = Upload(value.filename, value.file.read(), value.content_type)
                    else:
                        values[key] = value
        return cls(values, uploads)

    @classmethod
    def from_webhook_reply(cls, content_type: str, body: bytes) -> Params | None:
        """A webhook reply may itself be a method call (aiogram answers this way when not in background)."""
        if content_type.startswith("application/json"):
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                return None
            return cls(data) if isinstance(data, dict) and "method" in data else None
        if not content_type.startswith("multipart/"):
            return None
        parsed = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        values: dict[str, Any] = {}
        uploads: dict[str, Upload] = {}
        for part in parsed.iter_parts() if isinstance(parsed, MimeMessage) else []:
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            raw = part.get_payload(decode=True)
            content = raw if isinstance(raw, bytes) else b""
            filename = part.get_filename()
            if filename:
                uploads[name] = Upload(filename, content, part.get_content_type())
            else:
                values[name] = content.decode("utf-8")
        return cls(values, uploads) if "method" in values else None

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def str_(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def int_(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def bool_(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if value is None:
            return False
        return str(value).lower() in ("true", "1")

    def json_(self, name: str, error: str | None = None) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(error or f"can't parse {name} JSON object") from exc

    def chat_id(self, name: str = "chat_id") -> int | str | None:
        """Numeric id, or "@username" for public chats."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value)
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError as exc:
            raise bad_request("chat not found") from exc

    def upload(self, name: str) -> Upload | str | None:
        """An uploaded file (directly or via attach://), else the string given (a file_id or URL)."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.str_(name)
        if value and value.startswith("attach://"):
            key = value.removeprefix("attach://")
            if key not in self.uploads:
                raise bad_request(f"file for {name} is not found in the request")
            return self.uploads[key]
        return value
