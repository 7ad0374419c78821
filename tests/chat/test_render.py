"""notifications/render.py and the chat catalogs: escaping, limits, numbers, zh = en keys."""

from __future__ import annotations

import re
import string
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from notifications.formats import clip, qty, signed_qty
from notifications.i18n import catalog, pick_language, t
from notifications.render import Renderer, money, visible_length
from tests.chat.harness import check_html

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def render() -> Renderer:
    return Renderer(ZoneInfo("Asia/Shanghai"))


def test_visible_length_counts_what_telegram_counts() -> None:
    assert visible_length("<b>ab</b> &amp; <i>c</i>") == len("ab & c")
    assert visible_length("&lt;script&gt;") == len("<script>")


def test_qty_and_money() -> None:
    assert qty(Decimal("10.000")) == "10"
    assert qty(Decimal("10.500")) == "10.5"
    assert qty(Decimal(1000)) == "1,000"
    assert qty(Decimal("1234567.125")) == "1,234,567.125"
    assert qty(None) == "—"
    assert money(Decimal("2000"), "CNY") == "2,000.00 CNY"
    assert money(Decimal("0.005"), "CNY") == "0.01 CNY"  # half up
    assert money(None) == "—"
    # A change keeps its sign and every digit (a float's %g would print +1.23457e+06).
    assert signed_qty(Decimal("1234567.5")) == "+1,234,567.5"
    assert signed_qty(Decimal("-2.500")) == "-2.5"
    assert signed_qty(Decimal(0)) == "+0"


def test_clip() -> None:
    assert clip("abc", 5) == "abc"
    assert clip("abcdefgh", 5) == "abcd…"
    assert len(clip("x" * 5000)) == 60


def test_text_escapes_values(render: Renderer) -> None:
    out = render.text("en", "po.not_found", ref="<b>&</b>")
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in out
    check_html(out)


def test_templates_escape_typed_text(render: Renderer, lang: str) -> None:
    out = render.render("stock_miss.html", lang, query="<script>alert(1)</script> & </i>", hits=[])
    check_html(out)
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_render_refuses_an_over_long_message(tmp_path: Path) -> None:
    (tmp_path / "long.html").write_text("{{ body }}", encoding="utf-8")
    r = Renderer(ZoneInfo("UTC"), templates=tmp_path)
    assert visible_length(r.render("long.html", "en", body="&" * 4096)) == 4096  # escaped, counted once
    with pytest.raises(ValueError, match="paginate"):
        r.render("long.html", "en", body="x" * 4097)


def test_language_choice() -> None:
    assert pick_language("zh-hans", "en") == "zh"
    assert pick_language("en-GB", "zh") == "en"
    assert pick_language("de", "en") == "en"
    assert pick_language(None, "fr") == "zh"
    assert t("fr", "dialog.nothing") == t("en", "dialog.nothing")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    en, zh = catalog("en"), catalog("zh")
    assert set(en) == set(zh)
    wrong = [key for key in en if _fields(en[key]) != _fields(zh[key])]
    assert not wrong, wrong


def test_every_key_the_code_uses_exists() -> None:
    """Literal catalog keys in handlers, bot middlewares and templates are all in the catalog."""
    used: set[str] = set()
    sources = [*(ROOT / "handlers").glob("*.py"), ROOT / "bot" / "middlewares.py", ROOT / "bot" / "copies.py"]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*lang,\s*["']([a-z_.]+)["']""", text))
        used |= set(re.findall(r"""render\.text\(\s*lang,\s*["']([a-z_.]+)["']""", text))
        used |= set(re.findall(r"""["']((?:dialog|access|decision)\.[a-z_]+)["']""", text))
    for path in (ROOT / "notifications" / "templates").glob("*.html"):
        used |= set(re.findall(r"""_\(\s*["']([a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "found no keys: the patterns are out of date"
    missing = sorted(key for key in used if not key.endswith(".") and key not in catalog("en"))
    assert not missing, missing
