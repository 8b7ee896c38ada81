"""Settings, content reload with atomic swap, logging scrub, embed splitting, sync payload checks."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from alliance_bot.discord_ui.sync import validate_payload
from alliance_bot.library import ContentStore
from alliance_bot.logsetup import ScrubFilter, scrub
from alliance_bot.present.limits import (
    FIELD_VALUE_MAX,
    Rendered,
    _Builder,
    escape_md,
    limit_violations,
    split_text,
)
from alliance_bot.settings import SettingsError, load_settings, setting_names, token_looks_valid

CONTENT = Path(__file__).resolve().parents[1] / "content"
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_settings_defaults_and_env(clean_env: pytest.MonkeyPatch) -> None:
    s = load_settings()
    assert s.token is None and s.timezone == "Asia/Seoul" and s.retention_days == 90
    clean_env.setenv("DISCORD_TOKEN", TOKEN)
    clean_env.setenv("ALLIANCE_BOT_DB", "/tmp/x.db")
    clean_env.setenv("ALLIANCE_BOT_LOG_LEVEL", "debug")
    s = load_settings()
    assert s.require_token() == TOKEN
    assert str(s.db) == "/tmp/x.db" and s.log_level == "DEBUG"
    assert TOKEN not in repr(s) and TOKEN not in str(s.model_dump())


def test_settings_from_dotenv_and_config_file(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nALLIANCE_BOT_TIMEZONE=America/New_York\n")
    config = tmp_path / "bot.toml"
    config.write_text('timezone = "Europe/Paris"\nretention_days = 30\n')
    clean_env.setenv("ALLIANCE_BOT_CONFIG", str(config))
    s = load_settings()
    assert s.require_token() == TOKEN
    assert s.timezone == "America/New_York"  # .env wins over the config file
    assert s.retention_days == 30


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ALLIANCE_BOT_TIMEZONE", "Mars/Olympus", "ALLIANCE_BOT_TIMEZONE: unknown time zone “Mars/Olympus”"),
        ("ALLIANCE_BOT_RETENTION_DAYS", "soon", "ALLIANCE_BOT_RETENTION_DAYS: "),
        ("ALLIANCE_BOT_RETENTION_DAYS", "0", "ALLIANCE_BOT_RETENTION_DAYS: "),
        ("ALLIANCE_BOT_LOG_FORMAT", "xml", "ALLIANCE_BOT_LOG_FORMAT: "),
        ("ALLIANCE_BOT_DEV_GUILD", "abc", "ALLIANCE_BOT_DEV_GUILD: "),
        ("ALLIANCE_BOT_CONFIG", "/nonexistent/bot.toml", "ALLIANCE_BOT_CONFIG: config file"),
    ],
)
def test_invalid_settings_name_the_setting(clean_env: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_token_checks(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        load_settings().require_token()
    clean_env.setenv("DISCORD_TOKEN", "not-a-token")
    with pytest.raises(SettingsError, match="does not look like a bot token") as err:
        load_settings().require_token()
    assert "not-a-token" not in str(err.value)
    assert token_looks_valid(TOKEN) and not token_looks_valid("abc.def")


def test_setting_names_are_the_documented_ones() -> None:
    names = setting_names()
    assert names[0] == "DISCORD_TOKEN"
    assert all(n == "DISCORD_TOKEN" or n.startswith("ALLIANCE_BOT_") for n in names)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in names:
        assert f"`{name}`" in readme, f"{name} is not in the README's settings table"


def test_secrets_are_scrubbed_from_logs() -> None:
    assert TOKEN not in scrub(f"login with {TOKEN}")
    url = "https://discord.com/api/webhooks/123456/abcdefghijklmnopqrstuvwxyz_ABCDEFG-123"
    assert "abcdefghijklmnop" not in scrub(f"posting to {url}") and "123456" in scrub(url)
    record = logging.LogRecord("x", logging.INFO, "f", 1, "token=%s", (TOKEN,), None)
    ScrubFilter().filter(record)
    assert TOKEN not in record.getMessage()


# ---------------------------------------------------------------- library reload


def copy_content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    return root


async def test_reload_swaps_only_valid_content(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    store = ContentStore(root)
    assert store.load().ok
    before = store.current
    # a moderator breaks a file: the old content keeps serving
    events = root / "events.yaml"
    good = events.read_text()
    events.write_text(good.replace('date: "1953-07-27"', 'date: "1953-02-30"', 1))
    result = await store.reload()
    assert not result.ok and any("not a real date" in str(p) for p in result.problems)
    assert store.current is before
    assert store.last_failure is not None
    assert store.answers.today("07-27").events  # still answering from the last good content
    # a valid edit is swapped in, with what changed
    events.write_text(good)
    facts = root / "facts.yaml"
    facts.write_text(
        facts.read_text().replace('statement: "About 28,500 U.S. troops', 'statement: "Around 28,500 U.S. troops', 1)
    )
    (root / "extra.yaml").write_text(
        "facts:\n  - id: new-fact-x\n    statement: A new fact.\n    citations:\n"
        '      - {source: detrani-2025, quote: "Friday, August 22, 2025"}\n'
    )
    result = await store.reload()
    assert result.ok, result.problems
    assert result.diff.added == ["new-fact-x"]
    assert result.diff.changed == ["usfk-troop-number"]
    assert store.current is not before and store.last_failure is None
    (root / "extra.yaml").unlink()
    result = await store.reload()
    assert result.diff.removed == ["new-fact-x"]


async def test_reload_with_a_deleted_or_half_written_file(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    store = ContentStore(root)
    assert store.load().ok
    before = store.current
    (root / "facts.yaml").write_text((CONTENT / "facts.yaml").read_text()[:5000])  # cut mid-entry
    result = await store.reload()
    assert not result.ok and store.current is before
    (root / "sources.yaml").unlink()
    result = await store.reload()
    assert not result.ok and store.current is before


# ---------------------------------------------------------------- presentation details


def test_split_text_never_exceeds_and_loses_nothing() -> None:
    text = ("A sentence of some length. " * 200).strip()
    parts = split_text(text, FIELD_VALUE_MAX)
    assert all(len(p) <= FIELD_VALUE_MAX for p in parts)
    assert " ".join(parts).split() == text.split()
    word = "x" * 3000
    assert "".join(split_text(word, 1024)) == word


def test_long_answers_become_pages_not_truncation() -> None:
    b = _Builder("Title", 0, "footer")
    for i in range(60):
        b.add(f"Field {i}", "y" * 900)
    rendered = Rendered(b.build())
    assert rendered.page_count > 1
    assert limit_violations(rendered) == []
    values = [f["value"] for page in rendered.pages for e in page for f in e.get("fields", [])]
    assert len(values) == 60
    assert rendered.pages[0][0]["footer"]["text"].startswith(f"Page 1/{rendered.page_count}")


def test_escape_md_neutralises_mentions_and_markdown() -> None:
    out = escape_md("@everyone <@&1234> **x** [a](b)")
    assert "@everyone" not in out and "<@&1234>" not in out and "**" not in out


def test_sync_payload_validation() -> None:
    good = [
        {
            "name": "fact",
            "description": "Look up facts",
            "type": 1,
            "options": [{"name": "query", "description": "What", "type": 3}],
        }
    ]
    assert validate_payload(good) == []
    bad = [
        {
            "name": "Fact",
            "description": "",
            "type": 1,
            "options": [{"name": "q" * 33, "description": "d" * 101, "type": 3}],
        }
    ]
    problems = validate_payload(bad)
    assert any("/Fact: name" in p for p in problems)
    assert any("description must be 1-100" in p for p in problems)
    assert any("/Fact/" + "q" * 33 + ": name" in p for p in problems)


def test_json_logs_are_one_object_per_line_and_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from alliance_bot.logsetup import setup_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("INFO", "json")
        log = logging.getLogger("alliance_bot.test")
        log.info("interaction kind=command command=fact outcome=error error_id=%s", "abcd1234")
        try:
            raise ValueError(f"boom with {TOKEN}")
        except ValueError:
            log.exception("failed")
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 2
        first, second = (json.loads(line) for line in lines)
        assert first["level"] == "INFO" and "error_id=abcd1234" in first["message"]
        assert "exception" in second and TOKEN not in lines[1]
        setup_logging("INFO", "text")
        try:
            raise ValueError("multi\nline")
        except ValueError:
            log.exception("failed again")
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


def test_empty_values_mean_not_set(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DISCORD_TOKEN", "")
    clean_env.setenv("ALLIANCE_BOT_HASH_KEY", "")
    clean_env.setenv("ALLIANCE_BOT_TIMEZONE", "")
    s = load_settings()
    assert s.token is None and s.hash_key is None and s.timezone == "Asia/Seoul"
