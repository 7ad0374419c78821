"""The chat's message catalogs, in zh and en: notifications/locales/<lang>.toml plus any
notifications/locales/<lang>/*.toml (one file per part of the product; a key may live in one
file only)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")


def read_catalog(path: Path) -> dict[str, str]:
    """A TOML catalog flattened to dotted keys: [error] busy = "…" becomes "error.busy"."""

    def flatten(prefix: str, node: dict[str, Any], out: dict[str, str]) -> dict[str, str]:
        for key, value in node.items():
            if isinstance(value, dict):
                flatten(f"{prefix}{key}.", value, out)
            else:
                out[f"{prefix}{key}"] = str(value)
        return out

    return flatten("", tomllib.loads(path.read_text(encoding="utf-8")), {})


def read_catalogs(root: Path, lang: str) -> dict[str, str]:
    merged = read_catalog(root / f"{lang}.toml")
    for part in sorted((root / lang).glob("*.toml")) if (root / lang).is_dir() else []:
        more = read_catalog(part)
        if twice := merged.keys() & more.keys():
            raise ValueError(f"{part}: keys already defined elsewhere: {', '.join(sorted(twice))}")
        merged |= more
    return merged


@cache
def catalog(lang: str) -> dict[str, str]:
    return read_catalogs(LOCALES, lang)


def t(lang: str, key: str, **values: object) -> str:
    text = catalog(lang if lang in LANGUAGES else "en").get(key) or catalog("en")[key]
    return text.format(**values) if values else text


def t_or(lang: str, key: str, default: str) -> str:
    """The catalog's text when it has one (event names, say), else the default as it is."""
    return t(lang, key) if key in catalog("en") else default


def pick_language(telegram_code: str | None, fallback: str) -> str:
    """zh for any Chinese variant, en for English, else the company's language."""
    code = (telegram_code or "").lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return fallback if fallback in LANGUAGES else "zh"
