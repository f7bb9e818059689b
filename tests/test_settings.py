"""Settings: the environment and `.env`, typed values, generated secrets, refused placeholders."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from backend.settings import Settings, SettingsError


def test_environment_wins_over_the_env_file(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "FIELDGOAL_TOMBSTONE_DAYS=30\nFIELDGOAL_DEMO=1\n# comment\nFIELDGOAL_VAPID_SUBJECT='mailto:a@b.c'\n"
    )
    settings = Settings.from_env({"FIELDGOAL_TOMBSTONE_DAYS": "45"}, env_file)
    assert settings.tombstone_days == 45
    assert settings.demo is True
    assert settings.vapid_subject == "mailto:a@b.c"


def test_defaults_are_the_documented_ones():
    settings = Settings.from_env({}, None)
    assert settings.database_url == "sqlite:///./data/fieldgoal.db"
    assert settings.tombstone_days == 90
    assert settings.demo is False
    assert (
        settings.sync_max_mutations,
        settings.sync_max_body_bytes,
        settings.sync_max_page,
        settings.max_text_chars,
    ) == (
        500,
        1024 * 1024,
        2000,
        4000,
    )
    assert "fcm.googleapis.com" in settings.push_allowed_hosts


@pytest.mark.parametrize("value", ["changethis", "secret", "CHANGEME", "short"])
def test_placeholder_or_short_secret_is_refused(value: str):
    with pytest.raises(SettingsError, match="FIELDGOAL_SECRET_KEY"):
        Settings.from_env({"FIELDGOAL_SECRET_KEY": value}, None)


def test_bad_values_name_the_variable():
    with pytest.raises(SettingsError, match="FIELDGOAL_TOMBSTONE_DAYS"):
        Settings.from_env({"FIELDGOAL_TOMBSTONE_DAYS": "ninety"}, None)
    with pytest.raises(SettingsError, match="FIELDGOAL_DEMO"):
        Settings.from_env({"FIELDGOAL_DEMO": "maybe"}, None)
    with pytest.raises(SettingsError, match="FIELDGOAL_PUSH_ALLOWED_HOSTS"):
        Settings.from_env({"FIELDGOAL_PUSH_ALLOWED_HOSTS": "https://evil.example/path"}, None)


def test_push_hosts_are_a_comma_separated_list():
    settings = Settings.from_env({"FIELDGOAL_PUSH_ALLOWED_HOSTS": "127.0.0.1:8443, fcm.googleapis.com"}, None)
    assert settings.push_allowed_hosts == ("127.0.0.1:8443", "fcm.googleapis.com")


def test_secret_key_is_generated_once_into_the_data_folder(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data").with_generated_secrets()
    again = Settings(data_dir=tmp_path / "data").with_generated_secrets()
    assert len(settings.secret_key) >= 32
    assert settings.secret_key == again.secret_key
    mode = stat.S_IMODE((tmp_path / "data" / "secret_key").stat().st_mode)
    assert mode == 0o600
