"""`[alerts]` in config.toml: bindings checked at start, naming the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_bindings_are_read_with_their_topic_and_kinds(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[alerts]\nbindings = [{chat_id = -100, thread_id = 4, kinds = ["Low_Stock", "receipt"]}]\n', encoding="utf-8"
    )

    settings = load_settings(path, environ={})

    (binding,) = settings.alerts.bindings
    assert (binding.chat_id, binding.thread_id, binding.kinds) == (-100, 4, ["low_stock", "receipt"])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('{chat_id = -100, kinds = ["lowstock"]}', "unknown alert kind"),
        ('{chat_id = 0, kinds = ["all"]}', "chat_id"),
        ("{chat_id = -100, kinds = []}", "kinds"),
    ],
)
def test_a_bad_binding_stops_start_up_naming_it(tmp_path: Path, entry: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[alerts]\nbindings = [{entry}]\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"\[alerts\] bindings") as err:
        load_settings(path, environ={})

    assert message in str(err.value)
