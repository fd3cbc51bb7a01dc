"""Configuration layers (code, instance file, environment) and the production refusals."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from campaign import create_app
from campaign.config import ENV_KEYS, ConfigError, sqlite_on_network_path

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in (
        "CAMPAIGN_ENV",
        "FLASK_ENV",
        "SECRET_KEY",
        "DATABASE_URL",
        "SITE_URL",
        "MAIL_TRANSPORT",
    ):
        monkeypatch.delenv(key, raising=False)


def test_defaults_apply_without_instance_file(tmp_path):
    app = create_app(instance_path=str(tmp_path))
    assert app.config["NEWS_PER_PAGE"] == 10
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'campaign.db'}"
    assert app.config["MAIL_TRANSPORT"] == "console"


def test_instance_file_overrides_defaults_and_environment_overrides_both(tmp_path, monkeypatch):
    (tmp_path / "config.toml").write_text('NEWS_PER_PAGE = 4\nSITE_URL = "https://example.org"\n')
    app = create_app(instance_path=str(tmp_path))
    assert app.config["NEWS_PER_PAGE"] == 4
    assert app.config["SITE_URL"] == "https://example.org"
    monkeypatch.setenv("CAMPAIGN_NEWS_PER_PAGE", "7")
    monkeypatch.setenv("SITE_URL", "https://campaign.example")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["NEWS_PER_PAGE"] == 7
    assert app.config["SITE_URL"] == "https://campaign.example"


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.db")


def test_broken_instance_file_is_named(tmp_path):
    (tmp_path / "config.toml").write_text("NEWS_PER_PAGE = \n")
    with pytest.raises(ConfigError, match="config.toml"):
        create_app(instance_path=str(tmp_path))


def test_development_secret_is_generated_once_and_kept(tmp_path):
    first = create_app(instance_path=str(tmp_path)).config["SECRET_KEY"]
    second = create_app(instance_path=str(tmp_path)).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("env_name", ["CAMPAIGN_ENV", "FLASK_ENV"])
@pytest.mark.parametrize("secret", [None, "dev", "change-me", "short", "a long random string"])
def test_production_refuses_missing_or_default_secret(tmp_path, monkeypatch, env_name, secret):
    monkeypatch.setenv(env_name, "production")
    if secret is not None:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(instance_path=str(tmp_path))
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_sqlite_on_a_network_path(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-and-random-production-secret")
    monkeypatch.setenv("SITE_URL", "https://campaign.example.org")
    monkeypatch.setenv("DATABASE_URL", "sqlite://///fileserver/share/campaign.db")
    with pytest.raises(ConfigError, match="network filesystem"):
        create_app(instance_path=str(tmp_path))


def test_production_refuses_to_start_without_site_url(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-and-random-production-secret")
    with pytest.raises(ConfigError, match="SITE_URL"):
        create_app(instance_path=str(tmp_path))


def test_production_starts_with_a_real_secret_and_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-and-random-production-secret")
    monkeypatch.setenv("SITE_URL", "https://campaign.example.org")
    monkeypatch.setenv("MAIL_TRANSPORT", "smtp")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["MAIL_SEND_INLINE"] is False


def test_network_path_detection(tmp_path):
    assert sqlite_on_network_path("//server/share/db.sqlite")
    assert sqlite_on_network_path("\\\\server\\share\\db.sqlite")
    assert not sqlite_on_network_path(str(tmp_path / "local.db"))
    assert not sqlite_on_network_path(":memory:")


def test_production_refuses_console_mail(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-and-random-production-secret")
    monkeypatch.setenv("SITE_URL", "https://campaign.example.org")
    with pytest.raises(ConfigError, match="MAIL_TRANSPORT is not smtp"):
        create_app(instance_path=str(tmp_path))
    monkeypatch.setenv("MAIL_TRANSPORT", "console")
    with pytest.raises(ConfigError, match="MAIL_TRANSPORT is not smtp"):
        create_app(instance_path=str(tmp_path))


@pytest.mark.parametrize(
    "env",
    [
        {},  # no secret at all
        {"SECRET_KEY": "a long random string"},  # the example file's placeholder
        {"SECRET_KEY": "a-long-and-random-production-secret"},  # no SITE_URL
        {  # console mail
            "SECRET_KEY": "a-long-and-random-production-secret",
            "SITE_URL": "https://campaign.example.org",
        },
    ],
)
def test_refusals_are_one_clear_line_not_a_traceback(tmp_path, env):
    """What an operator sees from `flask` (and gunicorn) when production cannot work."""
    clean = {k: v for k, v in os.environ.items() if k not in ENV_KEYS and k != "DATABASE_URL"}
    clean = {k: v for k, v in clean.items() if not k.startswith(("CAMPAIGN_", "FLASK_"))}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "routes"],
        cwd=ROOT,
        env={**clean, **env, "CAMPAIGN_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Refusing to start: ")
    assert "Traceback" not in result.stderr
