"""Settings files that cannot be read: one line naming what is really wrong (the file and the byte), not
another setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alliance_bot.ops import doctor
from alliance_bot.settings import SettingsError, load_settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("ALLIANCE_BOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


# ---------------------------------------------------------------- settings files


def test_a_settings_file_that_is_not_utf8_is_named_with_the_byte(clean_env: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"ALLIANCE_BOT_LOG_LEVEL=INFO\nDISCORD_TOKEN=\xff\xfe\n")
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert message.startswith(f"{tmp_path / '.env'}: not UTF-8 text: byte 0xff at position 42 (line 2)"), message
    assert "CONFIG" not in message and "\n" not in message
    settings_check = doctor()[0]
    assert not settings_check.ok and settings_check.detail == message
    (tmp_path / ".env").unlink()
    config = tmp_path / "bot.toml"
    config.write_bytes(b'timezone = "Asia/Seoul"\n# caf\xe9\n')
    clean_env.setenv("ALLIANCE_BOT_CONFIG", str(config))
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith(f"ALLIANCE_BOT_CONFIG: {config}: not UTF-8 text: byte 0xe9 at position 29 "
                                     f"(line 2)"), str(err.value)
