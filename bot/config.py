"""Configuration: config.toml, overridden by CAIXIAO_<SECTION>__<KEY> environment variables.

The bot token never comes from the file: only from CAIXIAO_TELEGRAM__TOKEN or a secrets file
named by `[telegram] token_file` / CAIXIAO_TELEGRAM__TOKEN_FILE. A bad value stops start-up with
a message naming the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from domain.alerts import KINDS, parse_kinds
from domain.approval import ApprovalPolicy, Tier
from domain.errors import InvalidInput
from domain.master import Role

ENV_PREFIX = "CAIXIAO_"
TOKEN_RE = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
_PLACEHOLDERS = {"", "changeme", "change-me", "your-token", "your_token_here", "token", "xxx", "todo"}


class ConfigError(Exception):
    """Start-up refusal: names the key and what is wrong with it."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Section):
    url: str = "sqlite+aiosqlite:///data/caixiao.db"
    pool_size: int = Field(10, ge=1, le=200)

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value


class TelegramConfig(_Section):
    token: SecretStr | None = None
    token_file: Path | None = None
    api_base: str = "https://api.telegram.org"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(8080, ge=1, le=65535)

    @field_validator("api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL such as https://api.telegram.org")
        return value.rstrip("/")

    @field_validator("token")
    @classmethod
    def _real_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value().strip()
        if raw.lower() in _PLACEHOLDERS or "<" in raw:
            raise ValueError("is a placeholder; put the token from @BotFather in CAIXIAO_TELEGRAM__TOKEN")
        if not TOKEN_RE.match(raw):
            raise ValueError("does not look like a bot token (digits:secret, as @BotFather gives it)")
        return SecretStr(raw)

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> TelegramConfig:
        if self.mode == "webhook" and not self.webhook_url:
            raise ValueError("webhook_url: required when mode = 'webhook'")
        if self.mode == "webhook" and not self.webhook_secret:
            # Without it anyone who finds the URL could post fake updates as any user.
            raise ValueError("webhook_secret: required when mode = 'webhook' (set CAIXIAO_TELEGRAM__WEBHOOK_SECRET)")
        return self


class AccessConfig(_Section):
    admins: list[int] = Field(default_factory=list)

    @field_validator("admins")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(v <= 0 for v in value):
            raise ValueError("Telegram user ids are positive integers")
        return value


class CompanyConfig(_Section):
    name: str = "My Company"
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    language: Literal["zh", "en"] = "zh"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Shanghai)") from exc
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not re.match(r"^[A-Z]{3}$", value):
            raise ValueError("must be a three-letter ISO 4217 code such as CNY")
        return value


class TierConfig(_Section):
    threshold: Decimal = Field(ge=0)
    approvals: int = Field(ge=0, le=10)
    roles: list[Role] = Field(default_factory=list)


class ApprovalConfig(_Section):
    tiers: list[TierConfig] = Field(
        default_factory=lambda: [
            TierConfig(threshold=Decimal(0), approvals=0),
            TierConfig(threshold=Decimal(5000), approvals=1, roles=[Role.MANAGER, Role.ADMIN]),
            TierConfig(threshold=Decimal(50000), approvals=2, roles=[Role.MANAGER, Role.ADMIN]),
        ]
    )

    def policy(self) -> ApprovalPolicy:
        return ApprovalPolicy(tuple(Tier(t.threshold, t.approvals, frozenset(t.roles)) for t in self.tiers))

    @model_validator(mode="after")
    def _valid_ladder(self) -> ApprovalConfig:
        try:
            self.policy()
        except InvalidInput as exc:
            raise ValueError(f"tiers: {exc.reason.replace('_', ' ')} ({exc.value})") from exc
        return self


class ReceivingConfig(_Section):
    over_receipt_tolerance_percent: Decimal = Field(Decimal(0), ge=0, le=100)


class DialogueConfig(_Section):
    storage: Literal["sql", "redis"] = "sql"
    redis_url: str = "redis://127.0.0.1:6379/0"
    timeout_minutes: int = Field(720, ge=1, le=60 * 24 * 30)

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL such as redis://127.0.0.1:6379/0")
        return value


class ScheduleConfig(_Section):
    low_stock_sweep: str = "*/30 * * * *"
    overdue_check: str = "0 9 * * *"
    approval_reminders: str = "0 * * * *"
    daily_digest: str = "0 18 * * *"
    escalate_overdue_after_days: int = Field(3, ge=1, le=365)
    remind_after_hours: int = Field(24, ge=1, le=24 * 30)
    remind_every_hours: int = Field(24, ge=1, le=24 * 30)
    escalate_after_hours: int = Field(48, ge=1, le=24 * 60)

    @field_validator("low_stock_sweep", "overdue_check", "approval_reminders", "daily_digest")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError("must be a cron expression with 5 fields, e.g. '0 9 * * *'")
        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"is not a valid cron expression ({exc})") from exc
        return value


class SenderConfig(_Section):
    """Telegram's flood limits for bots, kept by the sender before Telegram enforces them."""

    per_chat_per_second: int = Field(1, ge=1, le=30)
    per_group_per_minute: int = Field(20, ge=1, le=600)
    global_per_second: int = Field(30, ge=1, le=1000)
    max_backoff_seconds: float = Field(300, ge=1, le=24 * 3600)
    max_attempts: int = Field(100, ge=1, le=10_000)
    poll_seconds: float = Field(2, gt=0, le=600)
    max_in_flight: int = Field(8, ge=1, le=100)


class BindingConfig(_Section):
    chat_id: int
    thread_id: int = Field(0, ge=0)
    kinds: list[str] = Field(min_length=1)

    @field_validator("chat_id")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must be a Telegram chat id (groups have negative ids, e.g. -1001234567890)")
        return value

    @field_validator("kinds")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        kinds, unknown = parse_kinds(value)
        if unknown:
            raise ValueError(f"unknown alert kind(s) {', '.join(unknown)}; use {', '.join(KINDS)} or all")
        return ["all"] if "all" in (v.strip().lower() for v in value) else [k.value for k in kinds]


class AlertsConfig(_Section):
    """Alert bindings that need no /bind in the chat (storage.bindings.apply_configured_bindings)."""

    bindings: list[BindingConfig] = Field(default_factory=list)


class Settings(_Section):
    database: DatabaseConfig = DatabaseConfig()
    telegram: TelegramConfig = TelegramConfig()
    access: AccessConfig = AccessConfig()
    company: CompanyConfig = CompanyConfig()
    approval: ApprovalConfig = ApprovalConfig()
    receiving: ReceivingConfig = ReceivingConfig()
    dialogue: DialogueConfig = DialogueConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    alerts: AlertsConfig = AlertsConfig()
    sender: SenderConfig = SenderConfig()

    @property
    def has_token(self) -> bool:
        return self.telegram.token is not None


def _overlay_env(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        if section == "test":
            continue  # CAIXIAO_TEST_* belong to the test suite
        target = data.setdefault(section, {})
        if not isinstance(target, dict):
            raise ConfigError(f"{name}: [{section}] is not a section")
        # Lists are comma-separated: CAIXIAO_ACCESS__ADMINS=1,2
        target[key] = [p.strip() for p in raw.split(",") if p.strip()] if key == "admins" else raw


def _describe(error: Mapping[str, Any]) -> str:
    loc = [str(p) for p in error["loc"]]
    if len(loc) >= 2:
        where = f"[{loc[0]}] {'.'.join(loc[1:])}"
    elif loc:
        where = f"[{loc[0]}]"
        return f"{where} {str(error['msg']).removeprefix('Value error, ')}"
    else:
        where = "config"
    msg = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        msg = "unknown key (check the spelling against config.toml)"
    return f"{where}: {msg}"


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the file (if any), overlay the environment, validate. Raises ConfigError."""
    environ = os.environ if environ is None else environ
    if path is None:
        path = Path(environ.get("CAIXIAO_CONFIG", "config.toml"))
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        if "token" in data.get("telegram", {}):
            raise ConfigError(
                f"{path}: [telegram] token must not be in a file that may be committed; "
                "set CAIXIAO_TELEGRAM__TOKEN or [telegram] token_file instead"
            )
    _overlay_env(data, environ)
    telegram = data.get("telegram", {})
    if telegram.get("token_file") and not telegram.get("token"):
        secret = Path(telegram["token_file"])
        try:
            telegram["token"] = secret.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"[telegram] token_file: cannot read {secret}: {exc.strerror}") from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(_describe(e) for e in exc.errors())) from None
