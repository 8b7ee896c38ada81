"""Settings files that cannot be read, and tokens in the wrong form: one line naming what is really wrong
(the file and the byte, not another setting), the same verdict from `doctor` and `run`, the token never shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alliance_bot.ops import doctor
from alliance_bot.settings import SettingsError, load_settings
from conftest import CONTENT
from test_ops import run_cli

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"


# ---------------------------------------------------------------- settings files


def test_a_settings_file_that_is_not_utf8_is_named_with_the_byte(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
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
    assert str(err.value).startswith(
        f"ALLIANCE_BOT_CONFIG: {config}: not UTF-8 text: byte 0xe9 at position 29 (line 2)"
    ), str(err.value)


# ---------------------------------------------------------------- the token


@pytest.mark.parametrize("value", [f"Bot {TOKEN}", f"bot {TOKEN}", f'"Bot {TOKEN}"'])
def test_a_token_with_the_bot_prefix_is_refused_by_doctor_and_run_alike(tmp_path: Path, value: str) -> None:
    env = {
        "DISCORD_TOKEN": value,
        "ALLIANCE_BOT_DB": str(tmp_path / "bot.db"),
        "ALLIANCE_BOT_CONTENT_DIR": str(CONTENT),
    }
    done = run_cli("doctor", env=env, cwd=tmp_path)
    assert done.returncode == 1
    fails = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1 and fails[0].startswith("FAIL  token: ") and "remove the 'Bot ' prefix" in fails[0], (
        done.stdout
    )
    run = run_cli("run", "--require-token", env=env, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"alliance-bot: {fails[0].removeprefix('FAIL  token: ')}"]
    for out in (done.stdout, done.stderr, run.stdout, run.stderr):
        assert TOKEN not in out and TOKEN[:20] not in out


@pytest.mark.parametrize("value", [f'"{TOKEN}"', f"'{TOKEN}'", f"  {TOKEN}\n", f'" {TOKEN} "\r\n', f"{TOKEN}\r\n"])
def test_quotes_and_whitespace_around_the_token_are_removed(clean_env: pytest.MonkeyPatch, value: str) -> None:
    from alliance_bot.ops import doctor

    clean_env.setenv("DISCORD_TOKEN", value)
    assert load_settings().require_token() == TOKEN
    token_check = next(c for c in doctor() if c.name == "token")
    assert token_check.ok and not token_check.warn and "well-formed" in token_check.detail


def test_a_token_in_a_dotenv_file_with_quotes_and_spaces(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN=' \"{TOKEN}\" '\n")
    assert load_settings().require_token() == TOKEN


def test_a_token_of_only_quotes_is_not_set(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DISCORD_TOKEN", '""')
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        load_settings().require_token()


def test_a_dotenv_that_is_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".env")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALLIANCE_BOT_") and k != "DISCORD_TOKEN"}
    env["ALLIANCE_BOT_DB"] = str(tmp_path / "bot.db")
    # a FIFO nobody writes to: reading it waited forever (the timeout fails the test, it never hangs the suite)
    done = subprocess.run(
        [sys.executable, "-m", "alliance_bot", "doctor"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith(f"FAIL  settings: {tmp_path / '.env'}: not a regular file"), (
        done.stdout
    )
