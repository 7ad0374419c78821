"""Configuration: file + environment, refusing bad values by naming the key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw-x"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_toml_loads_and_matches_the_defaults() -> None:
    shipped = load_settings(Path(__file__).parents[2] / "config.toml", environ={})

    defaults = load_settings(Path("/nonexistent.toml"), environ={})

    assert shipped == defaults


def test_environment_variables_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[company]\ntimezone = "Europe/Berlin"\n')

    settings = load_settings(path, environ={"CAIXIAO_COMPANY__TIMEZONE": "Asia/Tokyo", "CAIXIAO_ACCESS__ADMINS": "7, 8"})

    assert settings.company.timezone == "Asia/Tokyo"
    assert settings.access.admins == [7, 8]


def test_a_bad_value_names_the_key_and_what_is_wrong(tmp_path: Path) -> None:
    path = write(tmp_path, '[company]\ntimezone = "Mars/Base"\n')

    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})

    assert "[company] timezone" in str(err.value)
    assert "Mars/Base" in str(err.value)


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[database]\nurll = 'x'\n")

    with pytest.raises(ConfigError, match=r"\[database\] urll: unknown key"):
        load_settings(path, environ={})


def test_a_token_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\n')

    with pytest.raises(ConfigError, match="must not be in a file"):
        load_settings(path, environ={})


def test_the_token_comes_from_the_environment_and_is_never_printed() -> None:
    settings = load_settings(Path("/nonexistent.toml"), environ={"CAIXIAO_TELEGRAM__TOKEN": TOKEN})

    assert settings.has_token
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())


def test_the_token_can_come_from_a_secrets_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text(TOKEN + "\n", encoding="utf-8")

    settings = load_settings(Path("/nonexistent.toml"), environ={"CAIXIAO_TELEGRAM__TOKEN_FILE": str(secret)})

    assert settings.telegram.token is not None and settings.telegram.token.get_secret_value() == TOKEN


@pytest.mark.parametrize("token", ["changeme", "<your token>", "12345"])
def test_placeholder_tokens_are_refused(token: str) -> None:
    with pytest.raises(ConfigError, match=r"\[telegram\] token"):
        load_settings(Path("/nonexistent.toml"), environ={"CAIXIAO_TELEGRAM__TOKEN": token})


def test_an_approval_ladder_out_of_order_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[[approval.tiers]]\nthreshold = 0\napprovals = 0\n"
        "[[approval.tiers]]\nthreshold = 900\napprovals = 1\nroles=['manager']\n"
        "[[approval.tiers]]\nthreshold = 100\napprovals = 2\nroles=['manager']\n",
    )

    with pytest.raises(ConfigError, match=r"\[approval\] tiers"):
        load_settings(path, environ={})


def test_the_configured_ladder_becomes_the_domain_policy() -> None:
    settings = load_settings(Path("/nonexistent.toml"), environ={})

    policy = settings.approval.policy()

    assert policy.tier_for(Decimal(5000)).approvals == 1
    assert policy.tier_for(Decimal("4999.99")).approvals == 0


def test_webhook_mode_needs_a_url() -> None:
    with pytest.raises(ConfigError, match="webhook_url"):
        load_settings(Path("/nonexistent.toml"), environ={"CAIXIAO_TELEGRAM__MODE": "webhook"})
